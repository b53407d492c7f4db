package synth

// Built-in name lists: synthetic test data only, written for this package.
// Each list is in rough order of frequency (most common first); the generator
// draws from it with a Zipf-like skew, so "Smith" and "Olivia" are common and
// the tail is rare. Entries with an underscore are not used: names are single
// words, and a space inside a family name is written as a hyphen.

const maleGiven = `James John David Michael Robert William Thomas Daniel Paul Mark
Andrew Richard Christopher Peter Steven Matthew Joseph George Oliver Jack Harry
Charlie Jacob Noah Leo Oscar Alfie Freddie Archie Henry Arthur Theo Lucas
Isaac Edward Samuel Joshua Benjamin Alexander Max Ethan Logan Mason Dylan Finley
Riley Harrison Jake Connor Callum Kieran Liam Ryan Adam Luke Lewis Jordan Aaron
Nathan Scott Craig Jamie Lee Dean Carl Wayne Gary Kevin Stephen Anthony Simon
Martin Ian Neil Graham Keith Colin Brian Alan Derek Kenneth Ronald Raymond Frank
Stanley Albert Leonard Ernest Harold Frederick Walter Dennis Roy Terence Trevor
Barry Malcolm Gordon Stuart Douglas Philip Nicholas Timothy Jonathan Patrick Sean
Declan Conor Ciaran Niall Eoin Cormac Rhys Owen Evan Gareth Dafydd Ewan Angus
Hamish Fraser Rory Alistair Reuben Elliot Toby Ollie Teddy Rowan Jude Louie Ronnie
Tommy Reggie Albie Elijah Zachary Caleb Jayden Tyler Kai Ashton Bradley Shane
Marcus Jermaine Tyrone Darnell Andre Kwame Kofi Chidi Emeka Tunde Femi Segun
Jakub Kacper Szymon Filip Mateusz Piotr Tomasz Krzysztof Pawel Marek`

const femaleGiven = `Mary Sarah Elizabeth Margaret Susan Patricia Jennifer Linda Karen
Helen Emma Laura Rebecca Hannah Charlotte Amelia Olivia Isla Ava Mia Ivy Lily
Florence Freya Ella Grace Sophia Sophie Evie Poppy Isabella Isabelle Daisy Alice
Emily Jessica Chloe Lucy Ruby Millie Phoebe Matilda Harper Willow Rosie Erin
Holly Megan Amy Lauren Bethany Jade Leanne Gemma Kelly Stacey Kerry Natalie
Nicola Claire Joanne Michelle Rachel Louise Victoria Katherine Catherine Caroline
Jacqueline Deborah Julie Tracey Sharon Dawn Lisa Donna Angela Wendy Christine
Janet Pauline Valerie Brenda Barbara Joan Dorothy Doreen Irene Edna Joyce Hilda
Ethel Gladys Maureen Sheila Shirley Sandra Carol Anne Jean Ann Diane Gillian
Alison Fiona Heather Kirsty Morag Eilidh Siobhan Aoife Niamh Ciara Orla Roisin
Sinead Bronwen Carys Ffion Cerys Seren Ellie Maisie Lola Layla Aria Esme Ada
Elsie Violet Nancy Thea Maya Zara Eva Harriet Annabel Imogen Georgia Abigail
Samantha Kayleigh Chantelle Shannon Demi Courtney Tia Jasmine Destiny Precious
Chioma Ngozi Adaeze Funmilayo Abena Ama Keisha Tanisha Aaliyah Kaja Zuzanna
Julia Maja Natalia Agnieszka Katarzyna Magdalena Ewa Joanna`

// Given names used more often in the named origin groups.
const southAsianMale = `Mohammed Ali Hassan Hussain Imran Bilal Adeel Usman Zain Ayaan
Rahul Arjun Rohan Vikram Sanjay Ravi Amit Raj Harpreet Gurpreet Jaspreet Sandeep
Kamran Tariq Faisal Asif Shahid Waqas Irfan Arman Ishaan Aarav`

const southAsianFemale = `Fatima Ayesha Aisha Zainab Maryam Amina Sana Nadia Saima Shazia
Priya Anjali Pooja Sunita Neha Kavita Simran Harleen Manpreet Navneet Rukhsana
Yasmin Samina Farah Aaliya Inaya Anaya Riya Meera`

const arabicMale = `Mohammed Ahmed Omar Yusuf Ibrahim Khalid Hamza Abdullah Mustafa Karim
Samir Tarek Walid Hassan Ali Ismail Bilal Nabil Rami Adam`

const arabicFemale = `Fatima Aisha Maryam Layla Noor Huda Salma Rania Yasmin Leila
Hana Amira Samira Dina Zahra Mariam Iman Lina Sara Nadia`

const chineseMale = `Wei Jun Hao Jian Ming Lei Bo Chen Tao Yong Kai Jie`
const chineseFemale = `Mei Xin Hui Ying Li Jing Yan Fang Lan Xiao Yu Ting`

// Family names by origin group.
const britishFamily = `Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson
Wright Thompson Evans Walker White Roberts Green Hall Wood Jackson Clarke Clark
Thomas Harris Lewis Hughes Edwards Turner Hill Moore Cooper Ward Morris King
Watson Harrison Morgan Baker Young Allen Mitchell Anderson Lee Martin Parker
Bennett Price Cook Bailey Richardson Phillips Shaw Griffiths Bell Chapman Lloyd
Cox Mason Marshall Ellis Adams Webb Simpson Stevens Holmes Powell Palmer Hunt
Mills Rogers Collins Barnes Knight Fisher Butler Russell Gray Dixon Foster Ross
Pearson Hudson Graham Jenkins Burton Hamilton Matthews Fletcher Owen Rees Howard
Stewart Campbell Murray Reid MacDonald Fraser Robertson Scott Cameron Henderson
Patterson Atkinson Lawson Barker Gibson Hart Spencer Lambert Whitehead Ashworth
Pickering Sutcliffe Ackroyd Hargreaves Oldroyd Greenwood Holroyd Thwaite Nuttall
Wainwright Bottomley Armitage Crossley Hepworth Thornton Pemberton Ainsworth`

const irishFamily = `Murphy Kelly O'Sullivan Walsh O'Brien Byrne Ryan Connor O'Neill Reilly
Doyle McCarthy Gallagher Doherty Kennedy Lynch Murray Quinn Moore McLaughlin
Carroll Connolly Daly O'Connell Dunne Brennan Burke Collins Fitzgerald Flanagan
Nolan Hogan Keane Sheridan Maguire Donnelly`

const southAsianFamily = `Khan Ahmed Hussain Ali Patel Begum Akhtar Iqbal Shah Rahman
Singh Kaur Sharma Mahmood Butt Bibi Malik Rashid Aslam Sheikh Chaudhry Mirza
Kumar Gupta Desai Mistry Parmar Chauhan Gill Sandhu Sidhu Dhillon Uddin Islam
Miah Chowdhury Hoque Begum Qureshi Siddiqui Raza Javed Anwar`

const africanCaribbeanFamily = `Okafor Okonkwo Adeyemi Oluwaseun Mensah Boateng Asante Owusu
Osei Adebayo Ogunleye Nwosu Eze Obi Abubakar Bello Mwangi Otieno Kamau Ndlovu
Campbell Brown Francis Grant Joseph Henry Thomas Reid Clarke Richards Williams
Samuels Bailey Forbes Gordon Morrison Beckford Edwards`

const polishFamily = `Nowak Kowalski Wisniewski Wojcik Kowalczyk Kaminski Lewandowski
Zielinski Szymanski Wozniak Dabrowski Kozlowski Jankowski Mazur Kwiatkowski
Krawczyk Piotrowski Grabowski Nowakowski Pawlowski Michalski Nowicki Adamczyk
Dudek Zajac Wieczorek`

const arabicFamily = `Mohammed Ahmed Hassan Ali Ibrahim Abdullah Saleh Mahmoud Mustafa
Khalil Haddad Nasser Hamdan Yousef Mansour Farah Omar Salem Aziz Rahman Hussein
Abbas Karim Jaber Suleiman`

const chineseFamily = `Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu
Guo He Lin Luo Gao Wong Chan Cheung Lau Leung Ho Ng Lam`

// nicknames maps a formal given name to diminutives a practitioner may
// record instead. One level only: no chains.
var nicknames = map[string][]string{
	"William": {"Bill", "Will", "Liam", "Billy"}, "Elizabeth": {"Beth", "Liz", "Lizzie", "Betty", "Eliza"},
	"Katherine": {"Kate", "Kath", "Katie", "Kathy"}, "Catherine": {"Cath", "Cathy", "Kate", "Katie"},
	"Robert": {"Rob", "Bob", "Bobby", "Robbie"}, "Richard": {"Rick", "Dick", "Rich", "Richie"},
	"James": {"Jim", "Jimmy", "Jamie"}, "John": {"Jack", "Johnny", "Jon"}, "Michael": {"Mike", "Mick", "Mikey"},
	"Thomas": {"Tom", "Tommy"}, "Daniel": {"Dan", "Danny"}, "Christopher": {"Chris", "Kit"},
	"Anthony": {"Tony", "Ant"}, "Edward": {"Ed", "Eddie", "Ted", "Teddy"}, "Joseph": {"Joe", "Joey"},
	"Samuel": {"Sam", "Sammy"}, "Benjamin": {"Ben", "Benny"}, "Alexander": {"Alex", "Xander", "Sandy"},
	"Matthew": {"Matt", "Matty"}, "Nicholas": {"Nick", "Nicky"}, "Andrew": {"Andy", "Drew"},
	"Stephen": {"Steve", "Stevie"}, "Steven": {"Steve", "Stevie"}, "Jonathan": {"Jon", "Jonny"},
	"Timothy": {"Tim", "Timmy"}, "Peter": {"Pete"}, "Frederick": {"Fred", "Freddie"}, "Henry": {"Harry", "Hal"},
	"Charles": {"Charlie", "Chas"}, "Joshua": {"Josh"}, "Zachary": {"Zac", "Zach"}, "Oliver": {"Ollie", "Olly"},
	"Harrison": {"Harry"}, "Jacob": {"Jake"}, "Kenneth": {"Ken", "Kenny"}, "Ronald": {"Ron", "Ronnie"},
	"Raymond": {"Ray"}, "Leonard": {"Len", "Lenny"}, "Terence": {"Terry"}, "Philip": {"Phil"},
	"Douglas": {"Doug", "Dougie"}, "Patrick": {"Pat", "Paddy"}, "Albert": {"Bert", "Al"}, "Stanley": {"Stan"},
	"Margaret": {"Maggie", "Peggy", "Meg", "Marge"}, "Rebecca": {"Becky", "Becca"}, "Jennifer": {"Jen", "Jenny"},
	"Victoria": {"Vicky", "Tori"}, "Samantha": {"Sam", "Sammy"}, "Jessica": {"Jess", "Jessie"},
	"Abigail": {"Abi", "Abby"}, "Charlotte": {"Lottie", "Charlie"}, "Natalie": {"Nat"}, "Susan": {"Sue", "Susie"},
	"Patricia": {"Pat", "Trish", "Tricia"}, "Deborah": {"Debbie", "Deb"}, "Jacqueline": {"Jackie"},
	"Christine": {"Chris", "Chrissie"}, "Gillian": {"Gill", "Jill"}, "Dorothy": {"Dot", "Dolly"},
	"Isabella": {"Bella", "Izzy"}, "Isabelle": {"Izzy", "Belle"}, "Amelia": {"Millie", "Amy"},
	"Florence": {"Flo", "Florrie"}, "Matilda": {"Tilly", "Tilda"}, "Harriet": {"Hattie"}, "Imogen": {"Immy"},
	"Georgia": {"George"}, "Megan": {"Meg"}, "Eleanor": {"Ellie", "Nell"}, "Josephine": {"Jo", "Josie"},
	"Joanne": {"Jo"}, "Nicola": {"Nicky", "Nic"}, "Caroline": {"Caz", "Carrie"}, "Valerie": {"Val"},
	"Pauline": {"Pauly"}, "Sandra": {"Sandy"}, "Kayleigh": {"Kay"}, "Mohammed": {"Mo"}, "Muhammad": {"Mo"},
	"Ibrahim": {"Ibby"}, "Abdullah": {"Abdul"}, "Mateusz": {"Mati"}, "Jakub": {"Kuba"}, "Katarzyna": {"Kasia"},
	"Magdalena": {"Magda"}, "Agnieszka": {"Aga"}, "Aleksandra": {"Ola"}, "Zuzanna": {"Zuza"},
}

// variants are spellings of one name (transliterations and common
// alternatives); a duplicate record may use any member of its group.
var variants = [][]string{
	{"Mohammed", "Muhammad", "Mohamed", "Mohammad", "Muhammed"},
	{"Ahmed", "Ahmad"}, {"Yusuf", "Yousef", "Yusef", "Youssef"}, {"Hussain", "Hussein", "Husain"},
	{"Hassan", "Hasan"}, {"Abdullah", "Abdallah"}, {"Mustafa", "Mostafa"}, {"Khalid", "Khaled"},
	{"Omar", "Umar"}, {"Aisha", "Ayesha", "Aysha"}, {"Fatima", "Fatimah", "Fatma"}, {"Maryam", "Mariam", "Miriam"},
	{"Layla", "Leila", "Laila"}, {"Zainab", "Zaynab"}, {"Chaudhry", "Choudhury", "Chowdhury"},
	{"Mahmood", "Mahmoud", "Mehmood"}, {"Rahman", "Rehman"}, {"Yasmin", "Yasmine", "Jasmin"},
	{"Kayleigh", "Kayley", "Kaylee", "Kayla"}, {"Smith", "Smyth"}, {"Catherine", "Katherine", "Kathryn"},
	{"Isabelle", "Isabel", "Isobel"}, {"Sophie", "Sophia"}, {"Stephen", "Steven"}, {"Philip", "Phillip"},
	{"Clarke", "Clark"}, {"Connor", "Conor"}, {"Macdonald", "MacDonald", "McDonald"}, {"Wisniewski", "Wiśniewski"},
}

// Towns with the postcode areas around them (real area letters; every
// postcode the generator writes is synthetic and syntactically valid only).
var towns = []struct {
	name, area string
	dialling   string // geographic drama-range prefix, "" for none
}{
	{"Leeds", "LS", "0113 496 0"}, {"Bradford", "BD", ""}, {"Sheffield", "S", "0114 496 0"},
	{"Manchester", "M", "0161 496 0"}, {"Liverpool", "L", "0151 496 0"}, {"Birmingham", "B", "0121 496 0"},
	{"Nottingham", "NG", "0115 496 0"}, {"Leicester", "LE", "0116 496 0"}, {"Bristol", "BS", "0117 496 0"},
	{"Reading", "RG", "0118 496 0"}, {"London", "E", "020 7946 0"}, {"London", "N", "020 7946 0"},
	{"London", "SE", "020 7946 0"}, {"Edinburgh", "EH", "0131 496 0"}, {"Glasgow", "G", "0141 496 0"},
	{"Wakefield", "WF", ""}, {"Huddersfield", "HD", ""}, {"Halifax", "HX", ""}, {"York", "YO", ""},
	{"Newcastle upon Tyne", "NE", "0191 498 0"}, {"Cardiff", "CF", "029 2018 0"}, {"Coventry", "CV", ""},
	{"Stoke-on-Trent", "ST", ""}, {"Oldham", "OL", ""}, {"Blackburn", "BB", ""}, {"Preston", "PR", ""},
}

const streetStems = `Oak Ash Elm Birch Willow Chestnut Beech Holly Rowan Hazel Cedar Maple
Church Mill Station Park School Victoria Albert Queen King Princess Manor Grange
Orchard Meadow Springfield Highfield Westfield Brook Bridge Castle Abbey Market
Green Hill Valley River Canal Moor Fell Wharf Farm Chapel Cross Windsor York
Lancaster Clarence Gladstone Nelson Wellington Cromwell Stanley Cavendish Grosvenor`

const streetKinds = `Road Street Lane Avenue Close Drive Grove Way Crescent Terrace Court Gardens
Place Rise View Walk Mews Row`

// Given names mostly given since about 1995: people born later draw from
// these more often, people born earlier from the rest of the list.
const modernMale = `Oliver Noah George Leo Arthur Oscar Harry Jack Charlie Jacob Freddie
Alfie Theo Archie Henry Lucas Isaac Ethan Logan Mason Dylan Finley Riley Harrison
Teddy Rowan Jude Louie Ronnie Tommy Reggie Albie Elijah Zachary Caleb Jayden
Tyler Kai Max Joshua Samuel Jake Connor Callum Kieran Liam Lewis Jordan Reuben
Elliot Toby Ollie Ashton Bradley Rhys Owen Evan Ewan Rory Kacper Szymon Filip`

const modernFemale = `Olivia Amelia Isla Ava Mia Ivy Lily Florence Freya Ella Grace Sophia
Evie Poppy Isabella Daisy Alice Emily Jessica Chloe Lucy Ruby Millie Phoebe
Matilda Harper Willow Rosie Erin Holly Megan Ellie Maisie Lola Layla Aria Esme
Ada Elsie Violet Thea Maya Zara Eva Imogen Georgia Jasmine Aaliyah Kayleigh
Chantelle Shannon Demi Courtney Tia Destiny Hannah Charlotte Sophie Isabelle
Bethany Lauren Jade Seren Carys Ffion Cerys Niamh Aoife Zuzanna Maja`
