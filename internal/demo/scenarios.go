package demo

import (
	"math/rand/v2"
	"strings"

	"openmash.org/mash"
)

// refKind is the kind of person who raises a concern.
type refKind int

const (
	refTeacher refKind = iota
	refPolice
	refGP
	refHealthVisitor
	refSchoolNurse
	refHospital
	refPublic
	refAnonymous
	refHousing
	refRelative
	refProbation
	refCareProvider
	refBank
	refAmbulance
)

// channels each kind of referrer uses, with weights.
var refChannels = map[refKind][]weighted[string]{
	refTeacher:       {{"online_form", 60}, {"email", 25}, {"phone", 15}},
	refPolice:        {{"police_notification", 85}, {"phone", 15}},
	refGP:            {{"email", 50}, {"letter", 20}, {"phone", 30}},
	refHealthVisitor: {{"phone", 60}, {"email", 40}},
	refSchoolNurse:   {{"phone", 50}, {"email", 50}},
	refHospital:      {{"api", 50}, {"email", 30}, {"phone", 20}},
	refPublic:        {{"phone", 70}, {"online_form", 20}, {"in_person", 10}},
	refAnonymous:     {{"phone", 70}, {"online_form", 30}},
	refHousing:       {{"email", 60}, {"phone", 40}},
	refRelative:      {{"phone", 80}, {"in_person", 20}},
	refProbation:     {{"email", 70}, {"phone", 30}},
	refCareProvider:  {{"phone", 50}, {"email", 50}},
	refBank:          {{"email", 100}},
	refAmbulance:     {{"phone", 60}, {"email", 40}},
}

type weighted[T any] struct {
	v T
	w int
}

func pickW[T any](r *rand.Rand, list []weighted[T]) T {
	total := 0
	for _, x := range list {
		total += x.w
	}
	n := r.IntN(total)
	for _, x := range list {
		if n < x.w {
			return x.v
		}
		n -= x.w
	}
	return list[len(list)-1].v
}

// perpKind says who, if anyone, is the alleged perpetrator.
type perpKind int

const (
	perpNone     perpKind = iota
	perpPartner           // the carer's partner (children) or the adult's partner
	perpStranger          // an adult outside the family
	perpChild             // another child
	perpKin               // a relative of the adult at risk
)

// scenario is a kind of concern: its codes, who raises it, its usual
// severity and outcomes, and narratives to describe it.
type scenario struct {
	key            string
	cohort         mash.Cohort
	weight         int
	codes          [][]string // alternative code sets
	ageLo, ageHi   int
	refs           []refKind
	perp           perpKind
	perpLo, perpHi int // ages of a stranger or child perpetrator
	immediate      bool
	fates          [5]int // accept, nfa, advice, single agency, open case
	rag            [3]int // red, amber, green when accepted
	outcomes       map[string][][]mash.Outcome
	narratives     []string
}

var (
	o = func(os ...mash.Outcome) []mash.Outcome { return os }

	childOutcomes = map[string][][]mash.Outcome{
		"red":   {o(mash.OutcomeStrategyDiscussionS47), o(mash.OutcomeStrategyDiscussionS47), o(mash.OutcomeStrategyDiscussionS47, mash.OutcomeImmediateProtection)},
		"amber": {o(mash.OutcomeCINAssessmentS17), o(mash.OutcomeCINAssessmentS17), o(mash.OutcomeEarlyHelp), o(mash.OutcomeStrategyDiscussionS47)},
		"green": {o(mash.OutcomeEarlyHelp), o(mash.OutcomeEarlyHelp), o(mash.OutcomeAdvice), o(mash.OutcomeSingleAgency), o(mash.OutcomeNFA)},
	}
	daChildOutcomes = map[string][][]mash.Outcome{
		"red":   {o(mash.OutcomeStrategyDiscussionS47, mash.OutcomeMARAC), o(mash.OutcomeStrategyDiscussionS47)},
		"amber": {o(mash.OutcomeCINAssessmentS17), o(mash.OutcomeCINAssessmentS17, mash.OutcomeMARAC), o(mash.OutcomeEarlyHelp)},
		"green": {o(mash.OutcomeEarlyHelp), o(mash.OutcomeAdvice), o(mash.OutcomeNFA)},
	}
	adultOutcomes = map[string][][]mash.Outcome{
		"red":   {o(mash.OutcomeAdultS42Enquiry), o(mash.OutcomeAdultS42Enquiry, mash.OutcomeImmediateProtection)},
		"amber": {o(mash.OutcomeAdultS42Enquiry), o(mash.OutcomeAdultS42Enquiry), o(mash.OutcomeSingleAgency)},
		"green": {o(mash.OutcomeAdvice), o(mash.OutcomeSingleAgency), o(mash.OutcomeNFA)},
	}
	daAdultOutcomes = map[string][][]mash.Outcome{
		"red":   {o(mash.OutcomeAdultS42Enquiry, mash.OutcomeMARAC), o(mash.OutcomeMARAC, mash.OutcomeImmediateProtection)},
		"amber": {o(mash.OutcomeAdultS42Enquiry, mash.OutcomeMARAC), o(mash.OutcomeAdultS42Enquiry)},
		"green": {o(mash.OutcomeAdvice), o(mash.OutcomeSingleAgency)},
	}
	ladoOutcomes = map[string][][]mash.Outcome{
		"red":   {o(mash.OutcomeLADO, mash.OutcomeStrategyDiscussionS47)},
		"amber": {o(mash.OutcomeLADO), o(mash.OutcomeLADO, mash.OutcomeAdvice)},
		"green": {o(mash.OutcomeLADO), o(mash.OutcomeAdvice)},
	}
)

// Placeholders in narratives: {subj} the subject's given name, {subjFull},
// {age}, {he}/{He}/{his}/{His}/{him} for the subject, {carer}, {perp} (full
// name), {perpGiven}, {perpAge}, {address}, {street}, {town}, {school},
// {gp}, {day}, {amount}, {att}, {dash}, {relation}.
var scenarios = []*scenario{
	{
		key: "domestic_abuse_ppn", cohort: mash.CohortChild, weight: 22,
		codes: [][]string{{"3B"}, {"3B", "3C"}, {"3B", "17A"}}, ageLo: 0, ageHi: 15,
		refs: []refKind{refPolice, refPolice, refPolice, refPolice, refAnonymous}, perp: perpPartner, immediate: true,
		fates: [5]int{50, 16, 12, 10, 12}, rag: [3]int{15, 55, 30}, outcomes: daChildOutcomes,
		narratives: []string{
			"Police attended {address} at 23:15 on {day} following a 999 call from a neighbour reporting shouting and banging. {carer} disclosed that {perp} had pushed her against a wall during an argument about money. {subj} ({age}) was in the house and was heard crying upstairs. {perpGiven} had left before officers arrived. DASH risk assessment completed: {dash} risk.",
			"Domestic incident reported by {carer} after {perp} returned to the address intoxicated and smashed a door. {subj} ({age}) and {his} siblings were present. Officers noted the house was cluttered and there was little food in the kitchen. {carer} did not support further police action. DASH: {dash} risk.",
			"Verbal domestic between {carer} and {perp} at {address} on {day} evening, overheard by {subj} ({age}), who called police from {his} bedroom. No injuries seen. {perpGiven} agreed to stay with a relative overnight. DASH: {dash} risk.",
		},
	},
	{
		key: "neglect_school", cohort: mash.CohortChild, weight: 16,
		codes: [][]string{{"16A"}, {"16A", "4B"}, {"16A", "2B"}}, ageLo: 4, ageHi: 13,
		refs: []refKind{refTeacher, refTeacher, refTeacher, refSchoolNurse}, perp: perpNone,
		fates: [5]int{45, 10, 18, 17, 10}, rag: [3]int{5, 50, 45}, outcomes: childOutcomes,
		narratives: []string{
			"{subj} ({age}) has come to school in the same uniform all week, smelling strongly of urine, and told the class teacher {he} had no breakfast. {His} attendance is {att}% this term. {carer} has not answered three calls from school. Staff have given breakfast club and clean clothes.",
			"{subj} ({age}) has untreated head lice and dental pain; the school nurse saw {him} on {day}. {He} said {he} looks after {his} younger brother after school until late because mum is 'asleep'. This is the fourth entry on the school safeguarding log this term.",
			"{subj} ({age}) was not collected from {school} on {day}; staff waited until 17:30 before {carer} arrived and appeared under the influence of alcohol. {subj} said there is 'no food in the house again'.",
		},
	},
	{
		key: "missing_episodes", cohort: mash.CohortChild, weight: 8,
		codes: [][]string{{"10A"}, {"10A", "11A"}, {"10A", "24A"}}, ageLo: 12, ageHi: 17,
		refs: []refKind{refPolice, refPolice, refTeacher}, perp: perpStranger, perpLo: 18, perpHi: 30, immediate: true,
		fates: [5]int{70, 5, 5, 10, 10}, rag: [3]int{30, 55, 15}, outcomes: childOutcomes,
		narratives: []string{
			"{subj} ({age}) was reported missing by {carer} at 22:40 on {day} and found by officers at 03:10 in {town} town centre in a car with two adult males, one identified as {perp}. {He} would not say where {he} had been. This is {his} third missing episode in six weeks.",
			"{subj} ({age}) has been missing from home overnight twice this week. On return {he} had a new phone and cannabis. {carer} says {subj} is staying with an older friend, {perpGiven}, and she cannot stop {him} going out.",
		},
	},
	{
		key: "criminal_exploitation", cohort: mash.CohortChild, weight: 7,
		codes: [][]string{{"24A"}, {"24A", "13A"}, {"24A", "10A"}}, ageLo: 13, ageHi: 17,
		refs: []refKind{refPolice, refPolice, refTeacher, refProbation}, perp: perpStranger, perpLo: 18, perpHi: 28, immediate: true,
		fates: [5]int{75, 3, 2, 10, 10}, rag: [3]int{35, 50, 15}, outcomes: childOutcomes,
		narratives: []string{
			"{subj} ({age}) was stopped by officers in {town} with £{amount} in cash, two mobile phones and cannabis wrapped for sale. {He} had been missing from school for four days and is believed to be associating with {perp}, {perpAge}, who is known to police for county lines supply.",
			"{school} reports that {subj} ({age}) has been seen getting into cars with older males after school, has unexplained money and trainers, and was excluded for carrying a knife. {He} told a teacher {he} 'owes people' and is frightened.",
		},
	},
	{
		key: "physical_abuse", cohort: mash.CohortChild, weight: 9,
		codes: [][]string{{"18C"}, {"18C", "3B"}}, ageLo: 1, ageHi: 12,
		refs: []refKind{refTeacher, refTeacher, refHealthVisitor, refHospital, refGP}, perp: perpPartner, immediate: true,
		fates: [5]int{80, 4, 4, 4, 8}, rag: [3]int{45, 45, 10}, outcomes: childOutcomes,
		narratives: []string{
			"{subj} ({age}) arrived at {school} with a bruise to the left cheek and finger-mark bruising to the upper arm. {He} said '{perpGiven} grabbed me because I was naughty'. {perp} is mum's partner and lives in the household. {subj} said {he} did not want to go home.",
			"{subj} ({age}) was brought to the Emergency Department at Northtown General Hospital by {carer} with a spiral fracture of the forearm; the explanation (a fall from the sofa) is not consistent with the injury. A skeletal survey has been requested. {perp} lives in the household.",
			"Health visitor saw bruising to both ears of {subj} ({age}) at a home visit. {carer} said {he} had fallen against a cot. {perp} was present and answered questions for her.",
		},
	},
	{
		key: "parental_mental_health", cohort: mash.CohortChild, weight: 7,
		codes: [][]string{{"4B"}, {"4B", "16A"}}, ageLo: 0, ageHi: 4,
		refs: []refKind{refHealthVisitor, refHealthVisitor, refGP}, perp: perpNone,
		fates: [5]int{40, 8, 22, 22, 8}, rag: [3]int{8, 47, 45}, outcomes: childOutcomes,
		narratives: []string{
			"At the 6–8 week review {carer} presented very low in mood, tearful and said she 'can't do this any more'. {subj} ({age}) appeared well cared for, but the flat was cold and there was little formula. {carer} declined referral to the perinatal mental health team. No family support nearby.",
			"{carer} told her GP on {day} that she hears voices telling her the baby is 'not hers'. She has stopped her medication. {subj} ({age}) lives with her; her partner works away.",
		},
	},
	{
		key: "parental_substance_misuse", cohort: mash.CohortChild, weight: 7,
		codes: [][]string{{"2B"}, {"1B", "2B"}, {"1B"}}, ageLo: 0, ageHi: 12,
		refs: []refKind{refAnonymous, refPublic, refPolice, refGP}, perp: perpPartner,
		fates: [5]int{45, 18, 15, 12, 10}, rag: [3]int{12, 53, 35}, outcomes: childOutcomes,
		narratives: []string{
			"Caller reports that {carer} and {perp} are using drugs at {address} most nights, with people coming and going at all hours. The caller has seen {subj} ({age}) outside alone after 21:00 and says the children look unkempt.",
			"Police executed a drugs warrant at {address} on {day}. Heroin paraphernalia was found in the kitchen within reach of {subj} ({age}). {perp} was arrested; {carer} was present and appeared intoxicated.",
		},
	},
	{
		key: "self_harm", cohort: mash.CohortChild, weight: 7,
		codes: [][]string{{"15A"}, {"15A", "4A"}}, ageLo: 12, ageHi: 17,
		refs: []refKind{refHospital, refSchoolNurse, refGP, refTeacher}, perp: perpNone,
		fates: [5]int{45, 8, 15, 20, 12}, rag: [3]int{15, 55, 30}, outcomes: childOutcomes,
		narratives: []string{
			"{subj} ({age}) attended the Emergency Department at Northtown General Hospital after taking an overdose of paracetamol. {He} was medically fit for discharge after treatment and disclosed long-standing low mood, cutting and arguments at home. CAMHS assessment completed on the ward.",
			"{subj} ({age}) showed a friend fresh cuts to {his} forearms and said {he} 'didn't want to be here'. The school nurse has seen {him}; {carer} has been told and is supportive but is struggling to get a CAMHS appointment.",
		},
	},
	{
		key: "sexual_exploitation", cohort: mash.CohortChild, weight: 6,
		codes: [][]string{{"11A"}, {"11A", "10A"}}, ageLo: 12, ageHi: 16,
		refs: []refKind{refTeacher, refSchoolNurse, refPublic, refPolice}, perp: perpStranger, perpLo: 18, perpHi: 32, immediate: true,
		fates: [5]int{75, 3, 5, 7, 10}, rag: [3]int{35, 50, 15}, outcomes: childOutcomes,
		narratives: []string{
			"{school} reports that {subj} ({age}) has a new phone, new clothes and money that {he} cannot explain, and is being collected from school by an older male in a car. Friends told staff {he} has an '18 year old boyfriend' called {perpGiven}. Attendance has dropped sharply.",
			"{subj} ({age}) was found by police at a flat in {town} with {perp}, {perpAge}, and two other adults; alcohol and cannabis were present. {subj} had been reported missing by {carer} earlier that evening.",
		},
	},
	{
		key: "emotional_abuse", cohort: mash.CohortChild, weight: 5,
		codes: [][]string{{"17A"}}, ageLo: 5, ageHi: 15,
		refs: []refKind{refTeacher, refRelative, refPublic}, perp: perpNone,
		fates: [5]int{45, 10, 15, 18, 12}, rag: [3]int{5, 55, 40}, outcomes: childOutcomes,
		narratives: []string{
			"{subj} ({age}) told {his} teacher that {carer} calls {him} 'stupid' and 'a waste of space' and locks {him} in {his} room as punishment. Staff have noticed {he} is withdrawn, flinches when adults raise their voices and is reluctant to go home.",
			"{subj}'s grandmother reports that {carer} screams at {subj} ({age}), blames {him} for the family's problems and has told {him} she wishes {he} had never been born.",
		},
	},
	{
		key: "young_carer", cohort: mash.CohortChild, weight: 4,
		codes: [][]string{{"7A"}, {"7A", "6B"}, {"7A", "4B"}}, ageLo: 9, ageHi: 16,
		refs: []refKind{refTeacher, refGP, refSchoolNurse}, perp: perpNone,
		fates: [5]int{25, 10, 25, 30, 10}, rag: [3]int{0, 30, 70}, outcomes: childOutcomes,
		narratives: []string{
			"{subj} ({age}) cares for {carer}, who has multiple sclerosis, and for a younger sibling. {He} is often late and tired and has missed coursework deadlines. {He} told the school nurse {he} does the shopping, the cooking and mum's medication.",
		},
	},
	{
		key: "harmful_sexual_behaviour", cohort: mash.CohortChild, weight: 3,
		codes: [][]string{{"19B"}}, ageLo: 9, ageHi: 15,
		refs: []refKind{refTeacher}, perp: perpChild, perpLo: 11, perpHi: 16,
		fates: [5]int{75, 3, 7, 10, 5}, rag: [3]int{20, 60, 20}, outcomes: childOutcomes,
		narratives: []string{
			"{subj} ({age}) disclosed to a teaching assistant that another pupil, {perp} ({perpAge}), has been sending {him} sexual images and pressured {him} into sending images back, which may have been shared in a group chat. The school has secured the devices and told both sets of parents.",
		},
	},
	{
		key: "allegation_against_adult", cohort: mash.CohortChild, weight: 3,
		codes: [][]string{{"20"}, {"19C"}, {"18C"}}, ageLo: 7, ageHi: 15,
		refs: []refKind{refPublic, refTeacher}, perp: perpStranger, perpLo: 25, perpHi: 55,
		fates: [5]int{90, 0, 5, 5, 0}, rag: [3]int{20, 50, 30}, outcomes: ladoOutcomes,
		narratives: []string{
			"{carer} reports that {perp}, a volunteer coach at {subj}'s football club in {town}, has been messaging {subj} ({age}) privately late at night, giving {him} lifts home alone and telling {him} to keep it 'our secret'.",
			"{subj} ({age}) told {his} parent that a supply teacher at {school}, {perp}, grabbed {him} by the neck in a corridor. Another pupil witnessed it; the head teacher has been informed.",
		},
	},
	// Adults at risk (Care Act 2014).
	{
		key: "financial_abuse", cohort: mash.CohortAdult, weight: 8,
		codes: [][]string{{"financial"}, {"financial", "psychological"}}, ageLo: 72, ageHi: 95,
		refs: []refKind{refBank, refGP, refCareProvider, refRelative}, perp: perpKin,
		fates: [5]int{55, 10, 15, 15, 5}, rag: [3]int{10, 55, 35}, outcomes: adultOutcomes,
		narratives: []string{
			"{subjFull} ({age}) lives alone at {address}. The bank's fraud team reports that £{amount} has been withdrawn over six weeks by {perp}, {his} {relation}, who holds {his} bank card. {subj} has mild dementia and told the GP {he} is 'frightened to say no'.",
			"Home care staff report that {subjFull} ({age}) has had no food in the house for a week although {his} pension was paid. {His} {relation} {perp} collects the pension and has taken {his} debit card.",
		},
	},
	{
		key: "self_neglect", cohort: mash.CohortAdult, weight: 6,
		codes: [][]string{{"self_neglect"}}, ageLo: 45, ageHi: 86,
		refs: []refKind{refHousing, refAmbulance, refGP, refPublic}, perp: perpNone,
		fates: [5]int{45, 10, 20, 20, 5}, rag: [3]int{10, 50, 40}, outcomes: adultOutcomes,
		narratives: []string{
			"Housing officer visited {address} after neighbours complained of a smell. {subjFull} ({age}) was living in one room among accumulated rubbish; the kitchen was unusable and there was no heating. {He} has refused help from the GP twice. Rent arrears of £{amount}.",
			"Ambulance crew attended {subjFull} ({age}) after a fall. The home was severely cluttered, with mouldy food and no working toilet; {he} declined to go to hospital and said {he} 'manages fine'.",
		},
	},
	{
		key: "domestic_abuse_adult", cohort: mash.CohortAdult, weight: 6,
		codes: [][]string{{"domestic"}, {"domestic", "physical"}, {"domestic", "psychological"}}, ageLo: 22, ageHi: 75,
		refs: []refKind{refPolice, refPolice, refGP, refCareProvider}, perp: perpPartner, immediate: true,
		fates: [5]int{60, 10, 10, 15, 5}, rag: [3]int{25, 50, 25}, outcomes: daAdultOutcomes,
		narratives: []string{
			"Police attended {address} after {subjFull} ({age}), who uses a wheelchair and has carers twice a day, called 999 saying {his} partner {perp} had hit {him} and taken {his} phone. Bruising to the face. {perpGiven} was arrested. DASH: {dash} risk.",
			"{subjFull} ({age}) told {his} carer that {his} partner {perp} controls {his} money, stops {him} seeing friends and threatened to 'leave {him} in {his} own mess'. {He} has care and support needs after a stroke.",
		},
	},
	{
		key: "care_home_neglect", cohort: mash.CohortAdult, weight: 4,
		codes: [][]string{{"neglect"}, {"neglect", "organisational"}}, ageLo: 78, ageHi: 98,
		refs: []refKind{refHospital, refAmbulance, refRelative}, perp: perpNone,
		fates: [5]int{70, 5, 5, 15, 5}, rag: [3]int{25, 55, 20}, outcomes: adultOutcomes,
		narratives: []string{
			"{subjFull} ({age}), a resident of Harrow Court Care Home, was admitted to Northtown General Hospital with a grade 4 pressure ulcer, dehydration and weight loss. Ward staff are concerned about the care provided; this is the second admission from the home this month with similar concerns.",
		},
	},
	{
		key: "cuckooing", cohort: mash.CohortAdult, weight: 3,
		codes: [][]string{{"financial", "psychological"}, {"financial"}}, ageLo: 20, ageHi: 50,
		refs: []refKind{refPolice, refHousing, refPublic}, perp: perpStranger, perpLo: 18, perpHi: 35,
		fates: [5]int{75, 5, 5, 10, 5}, rag: [3]int{30, 55, 15}, outcomes: adultOutcomes,
		narratives: []string{
			"Neighbours report people coming and going from the flat of {subjFull} ({age}), who has a learning disability. Officers found {perp} and two others using the flat to store and deal drugs. {subj} said they 'are my friends' but appeared frightened and had no food.",
		},
	},
	{
		key: "modern_slavery", cohort: mash.CohortAdult, weight: 2,
		codes: [][]string{{"modern_slavery"}}, ageLo: 19, ageHi: 45,
		refs: []refKind{refPolice, refPublic}, perp: perpStranger, perpLo: 30, perpHi: 60,
		fates: [5]int{80, 0, 5, 15, 0}, rag: [3]int{40, 50, 10}, outcomes: adultOutcomes,
		narratives: []string{
			"{subjFull} ({age}) was found by officers working at a hand car wash in {town} for 12 hours a day. {He} said {his} passport is held by the owner, {perp}, and {he} sleeps above the premises with six other men. An NRM referral is being considered.",
		},
	},
	{
		key: "psychological_abuse", cohort: mash.CohortAdult, weight: 4,
		codes: [][]string{{"psychological"}, {"psychological", "neglect"}}, ageLo: 60, ageHi: 92,
		refs: []refKind{refGP, refCareProvider, refRelative}, perp: perpKin,
		fates: [5]int{50, 10, 20, 15, 5}, rag: [3]int{5, 55, 40}, outcomes: adultOutcomes,
		narratives: []string{
			"{subjFull} ({age}) told {his} GP that {his} {relation} {perp}, who lives with {him} and is {his} main carer, shouts at {him}, threatens to 'put {him} in a home' and stops {him} seeing friends. {He} did not want the GP to tell anyone.",
		},
	},
}

// fill replaces {key} placeholders.
func fill(tmpl string, vars map[string]string) string {
	args := make([]string, 0, 2*len(vars))
	for k, v := range vars {
		args = append(args, "{"+k+"}", v)
	}
	return strings.NewReplacer(args...).Replace(tmpl)
}

// Texts for screening, requests, returns, decisions and feedback.

var screenReasons = map[mash.ScreeningDecision]map[mash.Cohort][]string{
	mash.ScreenNFA: {
		mash.CohortChild: {
			"No further action: a one-off incident with protective factors present; the parent acted appropriately. Information recorded on the child's file.",
			"No further action: no indication of harm; the referrer has addressed the concern with the family.",
		},
		mash.CohortAdult: {
			"No further action: the adult has capacity, is not at risk of abuse or neglect and does not want support.",
		},
	},
	mash.ScreenAdvice: {
		mash.CohortChild: {
			"Below the threshold for MASH checks (level 1): advice given to the referrer; the family signposted to the Northshire Family Hub.",
			"Advice and signposting: parenting support and the school nurse drop-in offered. Referrer to re-refer if concerns continue.",
		},
		mash.CohortAdult: {
			"Advice and information: the adult was signposted to Age UK Northshire and the council's benefits advice line.",
		},
	},
	mash.ScreenSingleAgency: {
		mash.CohortChild: {
			"Level 2 need: passed to the Early Help Hub for a family support offer with the family's consent.",
			"Passed to the school nursing service for follow-up; no multi-agency checks needed.",
		},
		mash.CohortAdult: {
			"Passed to the Adult Social Care locality team for a care and support needs assessment.",
			"Passed to the Community Mental Health Team, who know the adult.",
		},
	},
	mash.ScreenOpenCase: {
		mash.CohortChild: {
			"Open to the Children in Need Team: passed to the allocated social worker the same day.",
			"Open to the Child Protection Team (child on a plan): passed to the allocated social worker and team manager.",
		},
		mash.CohortAdult: {
			"Open to the Adult Learning Disability Team: passed to the allocated worker.",
		},
	},
}

var ragScreenText = map[string]string{
	"red":   "possible significant harm; partner checks needed urgently",
	"amber": "cumulative concerns need multi-agency checks to establish the level of risk",
	"green": "checks needed to decide on the right support; no indication of immediate risk",
}

var passedCloseReasons = map[mash.ScreeningDecision][]string{
	mash.ScreenSingleAgency: {"Receiving service confirmed receipt and will contact the family.", "Early Help Hub accepted the referral."},
	mash.ScreenOpenCase:     {"Allocated worker confirmed receipt and has updated the case record.", "Allocated social worker acknowledged; visit arranged."},
}

const consentApprover = "Rachel Okafor, MASH team manager"

var consentReasons = map[mash.ConsentStatus][]string{
	mash.ConsentRefused: {
		"The parent refused consent when the referrer discussed the concern.",
		"The family refused consent to checks and asked the referrer not to contact children's services.",
	},
	mash.ConsentNotSought: {
		"Seeking consent could place the subject at increased risk of harm: the alleged perpetrator lives in the household.",
		"Not sought: seeking consent could prejudice a police investigation.",
	},
}

const overrideBasis = "UK GDPR Art 6(1)(e) and Art 9(2)(g); DPA 2018 Sch 1 para 18 (safeguarding of children and individuals at risk)"

var overrideReasons = []string{
	"Seeking consent would alert the alleged perpetrator and could increase the risk. Checks are necessary and proportionate to understand the risk.",
	"Consent was refused, but the concerns are cumulative and checks are necessary and proportionate to decide whether the threshold is met.",
	"The concern is serious enough that waiting for consent would delay protective action; the decision is recorded and will be reviewed at the strategy stage.",
}

var requestQuestions = map[string]string{
	"police":    "Please share incidents, intelligence, warning markers and any current investigations relating to the subjects and the address, with your risk assessment.",
	"health":    "Please share GP registration, health visiting or school nursing involvement, A&E attendances and any safeguarding or mental health concerns for the subjects.",
	"education": "Please share attendance, suspensions, safeguarding log entries and the school's view of the child's presentation.",
	"probation": "Please confirm whether any subject is known to the Probation Service, with current supervision, offence history and risk of serious harm.",
	"housing":   "Please share tenancy details, household composition, arrears, anti-social behaviour reports and any homelessness history for the address.",
}

// itemTmpl is a return item: summary and detail templates, its marking, and
// what it needs to make sense.
type itemTmpl struct {
	summary, detail string
	marking         mash.Marking
	needsPerp       bool
	childOnly       bool
	adultOnly       bool
	acute           bool // owned by the acute trust, not the asked agency
}

var returnItems = map[string][]itemTmpl{
	"police": {
		{summary: "Domestic incident: verbal argument between {carer} and {perp}, no offences disclosed", detail: "Officers attended after a neighbour's call; DASH standard risk; children present but asleep.", marking: mash.MarkingReceivingTeam, needsPerp: true},
		{summary: "Intelligence: {perp} believed to be associating with known drug suppliers in {town}", detail: "Graded intelligence, not verified. Not for disclosure outside the MASH without police consent.", marking: mash.MarkingMASHOnly, needsPerp: true},
		{summary: "{perp} arrested for assault occasioning actual bodily harm; released under investigation", detail: "Victim: a former partner. Bail conditions not to contact her.", marking: mash.MarkingReceivingTeam, needsPerp: true},
		{summary: "Warning marker on the address: weapons", detail: "Marker added after a search found two machetes in a bedroom.", marking: mash.MarkingMASHOnly},
		{summary: "Missing person report: {subj} reported missing, found the next morning", detail: "Found at a friend's address; return home interview declined.", marking: mash.MarkingReceivingTeam, childOnly: true},
		{summary: "Two previous calls to the address about noise and shouting", detail: "No offences recorded.", marking: mash.MarkingFamily},
		{summary: "{subj} reported a theft of cash from the home", detail: "Victim withdrew support for a prosecution.", marking: mash.MarkingReceivingTeam, adultOnly: true},
	},
	"health": {
		{summary: "Registered with {gp}; immunisations up to date", marking: mash.MarkingFamily, childOnly: true},
		{summary: "Was not brought to three health visitor contacts since {date}", detail: "Two 'no access' visits and one cancelled clinic appointment.", marking: mash.MarkingReceivingTeam, childOnly: true},
		{summary: "A&E attendance: {subj} seen after a reported fall", detail: "X-ray normal; explanation consistent with the injury; discharged home.", marking: mash.MarkingReceivingTeam, acute: true},
		{summary: "{carer} under the perinatal mental health team", detail: "Diagnosis and treatment held by the trust; disclose further only with consent.", marking: mash.MarkingMASHOnly, childOnly: true},
		{summary: "Was not brought to two dental appointments", marking: mash.MarkingReceivingTeam, childOnly: true},
		{summary: "GP record: mild cognitive impairment diagnosed; lives alone; district nurse visits weekly", marking: mash.MarkingReceivingTeam, adultOnly: true},
		{summary: "Three falls in six months; referred to the falls clinic", marking: mash.MarkingFamily, adultOnly: true},
		{summary: "Community mental health team discharged {subj} in {date}", detail: "Treatment details withheld: the patient has not consented.", marking: mash.MarkingMASHOnly, adultOnly: true},
	},
	"education": {
		{summary: "Attendance {att}% this academic year (persistent absence)", marking: mash.MarkingFamily},
		{summary: "Four entries on the school safeguarding log this term", detail: "Hunger, unwashed uniform, a bruise explained as a fall, and a disclosure of shouting at home.", marking: mash.MarkingReceivingTeam},
		{summary: "Eligible for free school meals and pupil premium", marking: mash.MarkingFamily},
		{summary: "Suspended for two days for fighting", marking: mash.MarkingReceivingTeam},
		{summary: "DSL view: presents as anxious and hungry on Mondays; good relationship with the pastoral lead", marking: mash.MarkingReceivingTeam},
	},
	"probation": {
		{summary: "{perp} is on licence supervision until {future}", detail: "Index offence: assault on a former partner. Licence condition: disclose new relationships.", marking: mash.MarkingMASHOnly, needsPerp: true},
		{summary: "{perp} assessed as medium risk of serious harm to known adults", marking: mash.MarkingMASHOnly, needsPerp: true},
		{summary: "{perp}: previous conviction for possession with intent to supply (2021)", marking: mash.MarkingReceivingTeam, needsPerp: true},
	},
	"housing": {
		{summary: "Secure tenancy at the address since {year}; rent arrears £{amount}", marking: mash.MarkingReceivingTeam},
		{summary: "Three anti-social behaviour complaints from neighbours (noise, visitors at night)", marking: mash.MarkingReceivingTeam},
		{summary: "Household in temporary accommodation after a section 21 notice", marking: mash.MarkingFamily},
		{summary: "Housing officer visit: property in poor condition, no working heating", detail: "Repairs ordered; landlord notified.", marking: mash.MarkingFamily},
	},
}

var declines = map[string][2]string{ // legal basis, reason
	"police":    {"DPA 2018 Sch 2 Part 1 para 2 (crime and taxation): disclosure would be likely to prejudice an ongoing investigation", "Live investigation: the officer in the case will review disclosure after the suspect interview. Re-request in seven days."},
	"health":    {"Common-law duty of confidentiality; no UK GDPR Art 9 condition met at this threshold", "Below the significant-harm threshold and the patient refused consent; the Caldicott Guardian advised against disclosure."},
	"education": {"UK GDPR Art 5(1)(c) (data minimisation): the request is not necessary", "The child is not on roll at a Northshire school; please ask the Elective Home Education team."},
	"probation": {"DPA 2018 Sch 2 Part 1 para 2 (crime and taxation)", "Disclosure would prejudice a current MAPPA risk management plan; the MAPPA chair will share a summary with the allocated social worker."},
	"housing":   {"Information held by a housing association outside the information sharing agreement", "The tenancy is managed by Northshire Homes Trust; the request has been forwarded to their safeguarding lead."},
}

var outcomeRationale = map[mash.Outcome]string{
	mash.OutcomeStrategyDiscussionS47: "Reasonable cause to suspect that {subj} is suffering, or likely to suffer, significant harm (Children Act 1989 s47): strategy discussion with police and health today.",
	mash.OutcomeImmediateProtection:   "Immediate protection: a safety plan has been agreed with the non-abusing parent and police have been asked to attend tonight.",
	mash.OutcomeCINAssessmentS17:      "Needs cannot be met without social care support: Child and Family Assessment (s17) allocated to the Assessment Team.",
	mash.OutcomeEarlyHelp:             "Level 2 needs: early help through the Early Help Hub with the family's agreement; the school will be lead professional.",
	mash.OutcomeSingleAgency:          "Needs can be met by a single agency: passed on with a summary of the MASH checks.",
	mash.OutcomeAdvice:                "Below threshold: advice to the referrer and information to the family about local services.",
	mash.OutcomeNFA:                   "No further action: partner checks raise no further concern and the referrer's concern has been addressed.",
	mash.OutcomeMARAC:                 "High-risk domestic abuse: referral to MARAC and to the IDVA service at Haven Northshire.",
	mash.OutcomeLADO:                  "Allegation against a person who works with children: referred to the LADO for an allegations management meeting.",
	mash.OutcomeAdultS42Enquiry:       "{subj} has care and support needs, is experiencing or at risk of abuse or neglect and cannot protect themselves: Care Act s42 enquiry allocated to the Adult Safeguarding Team.",
}

var outcomeFeedback = map[mash.Outcome]string{
	mash.OutcomeStrategyDiscussionS47: "a multi-agency strategy discussion has been held and children's social care is leading the next steps",
	mash.OutcomeImmediateProtection:   "immediate action has been taken to keep the person safe",
	mash.OutcomeCINAssessmentS17:      "the family will be offered a Child and Family Assessment by children's social care",
	mash.OutcomeEarlyHelp:             "the family will be offered early help support",
	mash.OutcomeSingleAgency:          "the concern has been passed to the most appropriate service",
	mash.OutcomeAdvice:                "advice and information have been given; no further action by the hub",
	mash.OutcomeNFA:                   "no further action by the hub at this time; please contact us again if concerns continue",
	mash.OutcomeMARAC:                 "the case has been referred to MARAC",
	mash.OutcomeLADO:                  "the matter has been passed to the Local Authority Designated Officer",
	mash.OutcomeAdultS42Enquiry:       "adult social care will carry out a safeguarding enquiry (Care Act s42)",
}

var outcomeClose = map[mash.Outcome]string{
	mash.OutcomeStrategyDiscussionS47: "Strategy discussion held; transferred to the Child Protection Team.",
	mash.OutcomeImmediateProtection:   "Protective action taken; transferred to the Child Protection Team.",
	mash.OutcomeCINAssessmentS17:      "Transferred to the Assessment Team for a Child and Family Assessment.",
	mash.OutcomeEarlyHelp:             "Early Help Hub accepted the family; closed to the MASH.",
	mash.OutcomeSingleAgency:          "Receiving service confirmed receipt; closed to the MASH.",
	mash.OutcomeAdvice:                "Advice given and recorded; closed.",
	mash.OutcomeNFA:                   "No further action; closed.",
	mash.OutcomeMARAC:                 "MARAC referral accepted; closed to the MASH.",
	mash.OutcomeLADO:                  "LADO accepted the referral; closed to the MASH.",
	mash.OutcomeAdultS42Enquiry:       "s42 enquiry allocated to the Adult Safeguarding Team; closed to the MASH.",
}

// agencyViews are what each partner says at the decision: agreement, or
// dissent because it thinks the outcome too low or too high.
var agencyViews = map[string]struct{ agree, wantMore, wantLess []string }{
	"police": {
		agree:    []string{"Agree. Police will share the incident log with the receiving team.", "Agree with the outcome; police will attend any strategy discussion."},
		wantMore: []string{"Disagree: police consider the threshold for a strategy discussion is met given the pattern of incidents."},
		wantLess: []string{"Police view: the incident was isolated and could be managed through early help."},
	},
	"health": {
		agree:    []string{"Agree; the health visitor or GP will continue to see the family.", "Agree. Health will share the chronology with the allocated worker."},
		wantMore: []string{"Health would prefer an assessment: missed health appointments are a growing concern."},
		wantLess: []string{"Health view: the family engages well with universal services; a statutory response may be disproportionate."},
	},
	"education": {
		agree:    []string{"Agree; the school will act as lead professional.", "Agree. The DSL will attend any meeting."},
		wantMore: []string{"The school disagrees: staff see daily signs of neglect and want an assessment."},
		wantLess: []string{"The school would have preferred early help led by the school first."},
	},
	"probation": {
		agree:    []string{"Agree; the probation practitioner will share licence conditions with the allocated worker."},
		wantMore: []string{"Probation disagrees: the risk of serious harm to known adults and children is under-estimated."},
		wantLess: []string{"Probation view: current licence conditions already manage the risk."},
	},
	"housing": {
		agree:    []string{"Agree; housing will prioritise the repairs and keep the tenancy under review."},
		wantMore: []string{"Housing is concerned that the property conditions alone warrant an assessment."},
		wantLess: []string{"Housing view: the concerns are largely tenancy management and can be handled by the housing officer."},
	},
}
