// Package metrics exposes the hub's health to Prometheus: request rates and
// latencies of the API and the web UI, the queue by state and RAG rating,
// overdue contacts and the background job runner. It reads counts only;
// nothing about any person or contact leaves through it.
//
// The endpoint has no authentication: serve it on a separate, private listen
// address (mash serve --metrics-addr), never next to the case data.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"openmash.org/mash/internal/store"
)

// Source gives the live counts; *store.DB is one.
type Source interface {
	QueueStats(ctx context.Context) (*store.QueueStats, error)
}

// Metrics is the hub's registry of metrics.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// New registers the request metrics, the Go runtime and process metrics, and
// a collector that reads src at every scrape.
func New(src Source) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mash_http_requests_total", Help: "HTTP requests served, by handler (api or web), method and status code.",
	}, []string{"handler", "method", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "mash_http_request_duration_seconds", Help: "Time to serve HTTP requests, by handler (api or web) and method.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"handler", "method"})
	m.reg.MustRegister(m.requests, m.duration, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), &queueCollector{src: src})
	return m
}

// Instrument counts and times the requests h serves under the label name.
// Paths are not labels: they hold ids and would grow without bound.
func (m *Metrics) Instrument(name string, h http.Handler) http.Handler {
	l := prometheus.Labels{"handler": name}
	return promhttp.InstrumentHandlerDuration(m.duration.MustCurryWith(l),
		promhttp.InstrumentHandlerCounter(m.requests.MustCurryWith(l), h))
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

var (
	descOpen = prometheus.NewDesc("mash_contacts_open", "Contacts not yet closed, by state.", []string{"state"}, nil)
	descRAG  = prometheus.NewDesc("mash_queue_contacts", "Contacts waiting for screening or a MASH decision, by RAG rating (unrated before screening).",
		[]string{"rag"}, nil)
	descOverdue = prometheus.NewDesc("mash_queue_overdue_contacts", "Waiting contacts past their deadline, by RAG rating.", []string{"rag"}, nil)
	descJobs    = prometheus.NewDesc("mash_jobs", "Background jobs, by state (queued, running, done, failed).", []string{"state"}, nil)
	descOldest  = prometheus.NewDesc("mash_jobs_oldest_queued_seconds", "How long the oldest due job has waited to run (0 if none is due).", nil, nil)
	descUp      = prometheus.NewDesc("mash_store_up", "1 if the last scrape could read the store, 0 if not.", nil, nil)
)

// queueCollector reads the counts when Prometheus scrapes: a few grouped
// queries, no caching, so the figures are never stale.
type queueCollector struct{ src Source }

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOpen, descRAG, descOverdue, descJobs, descOldest, descUp} {
		ch <- d
	}
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.src.QueueStats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	for _, s := range store.OpenStates {
		ch <- prometheus.MustNewConstMetric(descOpen, prometheus.GaugeValue, float64(st.ByState[s]), s)
	}
	for rag, n := range st.ByRAG {
		ch <- prometheus.MustNewConstMetric(descRAG, prometheus.GaugeValue, float64(n), rag)
		ch <- prometheus.MustNewConstMetric(descOverdue, prometheus.GaugeValue, float64(st.OverdueByRAG[rag]), rag)
	}
	for _, s := range []string{"queued", "running", "done", "failed"} {
		ch <- prometheus.MustNewConstMetric(descJobs, prometheus.GaugeValue, float64(st.Jobs[s]), s)
	}
	oldest := 0.0
	if st.OldestQueuedAt != nil {
		oldest = *st.OldestQueuedAt
	}
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, oldest)
}
