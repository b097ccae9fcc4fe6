//! Embedded tables the synthetic patients are composed from: common given and
//! family names (combined at random, never a real person), real US city /
//! state / ZIP / area-code combinations, payers, clinical conditions with
//! their ICD-9-CM and ICD-10-CM codes, medications and vaccines with CVX codes.

pub const FEMALE_GIVEN: &[&str] = &[
    "Mary", "Patricia", "Linda", "Barbara", "Elizabeth", "Jennifer", "Maria", "Susan", "Margaret",
    "Dorothy", "Lisa", "Nancy", "Karen", "Betty", "Helen", "Sandra", "Donna", "Carol", "Ruth",
    "Sharon", "Michelle", "Laura", "Sarah", "Kimberly", "Deborah", "Jessica", "Shirley", "Cynthia",
    "Angela", "Melissa", "Brenda", "Amy", "Anna", "Rebecca", "Virginia", "Kathleen", "Pamela",
    "Martha", "Debra", "Amanda", "Stephanie", "Carolyn", "Christine", "Marie", "Janet",
    "Catherine", "Frances", "Ann", "Joyce", "Diane", "Alice", "Julie", "Heather", "Teresa",
    "Doris", "Gloria", "Evelyn", "Jean", "Cheryl", "Mildred", "Katherine", "Joan", "Ashley",
    "Judith", "Rose", "Janice", "Kelly", "Nicole", "Judy", "Christina", "Kathy", "Theresa",
    "Beverly", "Denise", "Tammy", "Irene", "Jane", "Lori", "Rachel", "Marilyn", "Andrea",
    "Kathryn", "Louise", "Sara", "Anne", "Jacqueline", "Wanda", "Bonnie", "Julia", "Ruby", "Lois",
    "Tina", "Phyllis", "Norma", "Paula", "Diana", "Annie", "Lillian", "Emily", "Robin", "Peggy",
    "Crystal", "Gladys", "Rita", "Dawn", "Connie", "Florence", "Tracy", "Edna", "Tiffany",
    "Carmen", "Rosa", "Cindy", "Grace", "Wendy", "Victoria", "Edith", "Kim", "Sherry", "Sylvia",
    "Josephine", "Thelma", "Shannon", "Sheila", "Ethel", "Ellen", "Elaine", "Marjorie", "Carrie",
    "Charlotte", "Monica", "Esther", "Pauline", "Emma", "Juanita", "Anita", "Rhonda", "Hazel",
    "Amber", "Eva", "Debbie", "April", "Leslie", "Clara", "Lucille", "Jamie", "Joanne", "Eleanor",
    "Valerie", "Danielle", "Megan", "Alicia", "Suzanne", "Michele", "Gail", "Bertha", "Darlene",
    "Veronica", "Jill", "Erin", "Geraldine", "Lauren", "Cathy", "Joann", "Lorraine", "Lynn",
    "Olivia", "Sophia", "Isabella", "Ava", "Mia", "Abigail", "Madison", "Chloe", "Ella", "Harper",
    "Avery", "Lily", "Zoe", "Hannah", "Natalie", "Addison", "Brooklyn", "Leah", "Audrey",
];

pub const MALE_GIVEN: &[&str] = &[
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Charles", "Joseph",
    "Thomas", "Christopher", "Daniel", "Paul", "Mark", "Donald", "George", "Kenneth", "Steven",
    "Edward", "Brian", "Ronald", "Anthony", "Kevin", "Jason", "Matthew", "Gary", "Timothy",
    "Jose", "Larry", "Jeffrey", "Frank", "Scott", "Eric", "Stephen", "Andrew", "Raymond",
    "Gregory", "Joshua", "Jerry", "Dennis", "Walter", "Patrick", "Peter", "Harold", "Douglas",
    "Henry", "Carl", "Arthur", "Ryan", "Roger", "Joe", "Juan", "Jack", "Albert", "Jonathan",
    "Justin", "Terry", "Gerald", "Keith", "Samuel", "Willie", "Ralph", "Lawrence", "Nicholas",
    "Roy", "Benjamin", "Bruce", "Brandon", "Adam", "Harry", "Fred", "Wayne", "Billy", "Steve",
    "Louis", "Jeremy", "Aaron", "Randy", "Howard", "Eugene", "Carlos", "Russell", "Bobby",
    "Victor", "Martin", "Ernest", "Phillip", "Todd", "Jesse", "Craig", "Alan", "Shawn",
    "Clarence", "Sean", "Philip", "Chris", "Johnny", "Earl", "Jimmy", "Antonio", "Danny",
    "Bryan", "Tony", "Luis", "Mike", "Stanley", "Leonard", "Nathan", "Dale", "Manuel", "Rodney",
    "Curtis", "Norman", "Allen", "Marvin", "Vincent", "Glenn", "Jeffery", "Travis", "Jeff",
    "Chad", "Jacob", "Lee", "Melvin", "Alfred", "Kyle", "Francis", "Bradley", "Jesus", "Herbert",
    "Frederick", "Ray", "Joel", "Edwin", "Don", "Eddie", "Ricky", "Troy", "Randall", "Barry",
    "Alexander", "Bernard", "Mario", "Leroy", "Francisco", "Marcus", "Micheal", "Theodore",
    "Clifford", "Miguel", "Oscar", "Jay", "Jim", "Tom", "Calvin", "Alex", "Jon", "Ronnie", "Bill",
    "Lloyd", "Tommy", "Leon", "Derek", "Warren", "Darrell", "Jerome", "Floyd", "Leo", "Alvin",
    "Tim", "Wesley", "Gordon", "Dean", "Greg", "Jorge", "Dustin", "Pedro", "Derrick", "Dan",
    "Lewis", "Zachary", "Corey", "Herman", "Maurice", "Vernon", "Roberto", "Clyde", "Glen",
    "Hector", "Shane", "Ricardo", "Sam", "Rick", "Lester", "Brent", "Ramon", "Charlie", "Tyler",
    "Gilbert", "Gene", "Liam", "Noah", "Ethan", "Mason", "Logan", "Lucas", "Owen", "Caleb",
    "Elijah", "Isaac", "Gavin", "Julian", "Wyatt", "Dylan", "Hunter", "Connor",
];

pub const FAMILY: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner",
    "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales",
    "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey",
    "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks",
    "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez",
    "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell",
    "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
    "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander",
    "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes",
    "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray",
    "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez", "Mcdonald", "Woods",
    "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen", "Freeman", "Webb", "Tucker",
    "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter", "Gordon", "Mendez",
    "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz", "Hunt", "Hicks", "Holmes", "Palmer",
    "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone", "Salazar", "Fox", "Warren", "Mills",
    "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson", "Nichols", "Stephens", "Soto",
    "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn", "Kelley", "Spencer", "Hawkins",
    "Arnold", "Pierce", "Vazquez", "Hansen", "Peters", "Santos", "Hart", "Bradley", "Knight",
    "Elliott", "Cunningham", "Duncan", "Armstrong", "Hudson", "Carroll", "Lane", "Riley",
    "Andrews", "Alvarado", "Ray", "Delgado", "Berry", "Perkins", "Hoffman", "Johnston",
    "Matthews", "Pena", "Richards", "Contreras", "Willis", "Carpenter", "Lawrence", "Sandoval",
    "Guerrero", "George", "Chapman", "Rios", "Estrada", "Ortega", "Watkins", "Greene", "Nunez",
    "Wheeler", "Valdez", "Harper", "Burke", "Larson", "Santiago", "Maldonado", "Morrison",
    "Franklin", "Carlson", "Austin", "Dominguez", "Carr", "Lawson", "Jacobs", "Obrien", "Lynch",
    "Singh", "Vega", "Bishop", "Montgomery", "Oliver", "Jensen", "Harvey", "Williamson",
    "Gilbert", "Dean", "Sims", "Espinoza", "Howell", "Li", "Wong", "Reid", "Hanson", "Le",
    "Mccoy", "Garrett", "Burton", "Fuller", "Wang", "Weber", "Welch", "Rojas", "Lucas", "Marquez",
    "Fields", "Park", "Yang", "Little", "Banks", "Padilla", "Day", "Walsh", "Bowman", "Schultz",
    "Luna", "Fowler", "Mejia", "Davidson", "Acosta", "Brewer", "May", "Holland", "Juarez",
    "Newman", "Pearson", "Curtis", "Cortez", "Douglas", "Schneider", "Joseph", "Barrett",
    "Navarro", "Figueroa", "Keller", "Avila", "Wade", "Molina", "Stanley", "Hopkins", "Campos",
    "Barnett", "Bates", "Chambers", "Caldwell", "Beck", "Lambert", "Miranda", "Byrd", "Craig",
    "Ayala", "Lowe", "Frazier", "Powers", "Neal", "Leonard", "Gregory", "Carrillo", "Sutton",
    "Fleming", "Rhodes", "Shelton", "Schwartz", "Norris", "Jennings", "Watts", "Duran", "Walters",
    "Cohen", "Mcdaniel", "Moran", "Parks", "Steele", "Vaughn", "Becker", "Holt", "Deleon",
    "Barker", "Terry", "Hale", "Leon", "Hail", "Benson", "Haynes", "Horton", "Miles", "Lyons",
    "Pham", "Graves", "Bush", "Thornton", "Wolfe", "Warner", "Cabrera", "Mckinney", "Mann",
    "Zimmerman", "Dawson", "Lara", "Fletcher", "Page", "Mccarthy", "Love", "Robles", "Cervantes",
    "Solis", "Erickson", "Reeves", "Chang", "Klein", "Salinas", "Fuentes", "Baldwin", "Daniel",
    "Simon", "Velasquez", "Hardy", "Higgins", "Aguirre", "Lin", "Cummings", "Chandler", "Sharp",
    "Barber", "Bowen", "Ochoa", "Dennis", "Robbins", "Liu", "Ramsey", "Francis", "Griffith",
    "Paul", "Blair", "Oconnor", "Cardenas", "Pacheco", "Cross", "Calderon", "Quinn", "Moss",
    "Swanson", "Chan", "Rivas", "Khan", "Rodgers", "Serrano", "Fitzgerald", "Rosales", "Stevenson",
    "Christensen", "Manning", "Gill", "Curry", "Mclaughlin", "Harmon", "Mcgee", "Gross", "Doyle",
    "Garner", "Newton", "Burgess", "Reese", "Walton", "Blake", "Trujillo", "Adkins", "Brady",
    "Goodman", "Roman", "Webster", "Goodwin", "Fischer", "Huang", "Potter", "Delacruz",
    "Montoya", "Todd", "Wu", "Hines", "Mullins", "Castaneda", "Malone", "Cannon", "Tate", "Mack",
    "Sherman", "Hubbard", "Hodges", "Zhang", "Guerra", "Wolf", "Valencia", "Saunders", "Franco",
    "Rowe", "Gallagher", "Farmer", "Hammond", "Hampton", "Townsend", "Ingram", "Wise",
    "Gallegos", "Clarke", "Barton", "Schroeder", "Maxwell", "Waters", "Logan", "Camacho",
    "Strickland", "Norman", "Person", "Colon", "Parsons", "Frank", "Harrington", "Glover",
    "Osborne", "Buchanan", "Casey", "Floyd", "Patton", "Ibarra", "Ball", "Tyler", "Suarez",
    "Bowers", "Orozco", "Salas", "Cobb", "Gibbs", "Andrade", "Bauer", "Conner", "Moody",
    "Escobar", "Mcguire", "Lloyd", "Mueller", "Hartman", "French", "Kramer", "Mcbride", "Pope",
    "Lindsey", "Velazquez", "Norton", "Mccormick", "Sparks", "Flynn", "Yates", "Hogan", "Marsh",
    "Macias", "Villanueva", "Zamora", "Pratt", "Stokes", "Owen", "Ballard", "Lang", "Brock",
    "Villarreal", "Charles", "Drake", "Barrera", "Cain", "Patrick", "Pineda", "Burnett",
    "Mercado", "Santana", "Shepherd", "Bautista", "Ali", "Shaffer", "Lamb", "Trevino", "Mckenzie",
    "Hess", "Beil", "Olsen", "Cochran", "Morton", "Nash", "Wilkins", "Petersen", "Briggs",
    "Shah", "Roth", "Nicholson", "Holloway", "Lozano", "Rangel", "Flowers", "Hoover", "Short",
    "Arias", "Mora", "Valenzuela", "Bryan", "Meyers", "Weiss", "Underwood", "Bass", "Greer",
    "Summers", "Houston", "Carson", "Morrow", "Clayton", "Whitaker", "Decker", "Yoder",
    "Collier", "Zuniga", "Carey", "Wilcox", "Melendez", "Poole", "Roberson", "Larsen",
    "Conley", "Davenport", "Copeland", "Massey", "Lam", "Huff", "Rocha", "Cameron", "Jefferson",
    "Hood", "Monroe", "Anthony", "Pittman", "Huynh", "Randall", "Singleton", "Kirk", "Combs",
    "Mathis", "Christian", "Skinner", "Bradford", "Richard", "Galvan", "Wall", "Boone",
    "Kirby", "Wilkinson", "Bridges", "Bruce", "Atkinson", "Velez", "Meza", "Roy", "Vincent",
    "York", "Hodge", "Villa", "Abbott", "Allison", "Tapia", "Gates", "Chase", "Sosa", "Sweeney",
    "Farrell", "Wyatt", "Dalton", "Horn", "Barron", "Phelps", "Yu", "Dickerson", "Heath",
    "Foley", "Atkins", "Mathews", "Bonilla", "Acevedo", "Benitez", "Zavala", "Hensley", "Glenn",
    "Cisneros", "Harrell", "Shields", "Rubio", "Choi", "Huffman", "Boyer", "Garrison", "Arroyo",
    "Bond", "Kane", "Hancock", "Callahan", "Dillon", "Cline", "Wiggins", "Grimes", "Arellano",
    "Melton", "Oneill", "Savage", "Ho", "Beltran", "Pitts", "Parrish", "Ponce", "Rich", "Booth",
    "Koch", "Golden", "Ware", "Brennan", "Mcdowell", "Marks", "Cantu", "Humphrey", "Baxter",
    "Sawyer", "Clay", "Tanner", "Hutchinson", "Kaur", "Berg", "Wiley", "Gilmore", "Russo",
    "Villegas", "Hobbs", "Keith", "Wilkerson", "Ahmed", "Beard", "Mcclain", "Montes", "Mata",
    "Rosario", "Vang", "Walter", "Henson", "Oneal", "Mosley", "Mcclure", "Beasley", "Stephenson",
    "Snow", "Huerta", "Preston", "Vance", "Barry", "Johns", "Eaton", "Blackwell", "Dyer",
    "Prince", "Macdonald", "Solomon", "Guevara", "Stafford", "English", "Hurst", "Woodard",
    "Cortes", "Shannon", "Kemp", "Nolan", "Mccullough", "Merritt", "Murillo", "Moon", "Salgado",
    "Strong", "Kline", "Cordova", "Barajas", "Roach", "Rosas", "Winters", "Jacobson", "Lester",
    "Knox", "Bullock", "Kerr", "Leach", "Meadows", "Orr", "Davila", "Whitehead", "Pruitt",
    "Kent", "Conway", "Mckee", "Barr", "David", "Dejesus", "Marin", "Berger", "Mcintyre",
    "Blankenship", "Gaines", "Palacios", "Cuevas", "Bartlett", "Durham", "Dorsey", "Mccall",
    "Odonnell", "Stein", "Browning", "Stout", "Lowery", "Sloan", "Mclean", "Hendricks", "Calhoun",
    "Sexton",
];

/// Family names that would collide with a label word or look like one; the
/// generator never picks them.
pub const FAMILY_AVOID: &[&str] = &["Sexton", "Person", "Page", "Day", "May", "Short", "Rich"];

/// Street names and suffixes for "1428 Elm Street".
pub const STREETS: &[&str] = &[
    "Elm", "Oak", "Maple", "Pine", "Cedar", "Main", "Washington", "Lincoln", "Park", "Lake",
    "Hill", "Walnut", "Chestnut", "Spruce", "Willow", "Birch", "Jefferson", "Madison", "Franklin",
    "Highland", "Meadow", "River", "Sunset", "Ridge", "Church", "Mill", "Spring", "Center",
    "Prospect", "Forest", "Cherry", "Hickory", "Laurel", "Dogwood", "Magnolia", "Adams",
    "Jackson", "Monroe", "Union", "Sycamore", "Poplar", "Orchard", "Valley", "Fairview",
    "Green", "Broad", "Locust", "Myrtle", "Cypress", "Aspen", "Juniper", "Harrison", "Garfield",
    "Wilson", "Lexington", "Canterbury", "Woodland", "Brookside", "Evergreen", "Bluebird",
];

pub const STREET_SUFFIXES: &[&str] = &[
    "Street", "Avenue", "Road", "Drive", "Lane", "Court", "Boulevard", "Way", "Place", "Circle",
    "Terrace", "Street", "Avenue", "Drive",
];

/// A real US city with its state, one of its ZIP codes and its main area code.
#[derive(Clone, Copy, Debug)]
pub struct City {
    pub city: &'static str,
    pub state: &'static str,
    pub zip: &'static str,
    pub area: &'static str,
}

const fn c(city: &'static str, state: &'static str, zip: &'static str, area: &'static str) -> City {
    City { city, state, zip, area }
}

pub const CITIES: &[City] = &[
    c("Springfield", "IL", "62704", "217"),
    c("Columbus", "OH", "43215", "614"),
    c("Austin", "TX", "78701", "512"),
    c("Denver", "CO", "80202", "303"),
    c("Portland", "OR", "97205", "503"),
    c("Madison", "WI", "53703", "608"),
    c("Boise", "ID", "83702", "208"),
    c("Albany", "NY", "12207", "518"),
    c("Raleigh", "NC", "27601", "919"),
    c("Nashville", "TN", "37203", "615"),
    c("Louisville", "KY", "40202", "502"),
    c("Omaha", "NE", "68102", "402"),
    c("Tulsa", "OK", "74103", "918"),
    c("Des Moines", "IA", "50309", "515"),
    c("Little Rock", "AR", "72201", "501"),
    c("Jackson", "MS", "39201", "601"),
    c("Birmingham", "AL", "35203", "205"),
    c("Atlanta", "GA", "30303", "404"),
    c("Tallahassee", "FL", "32301", "850"),
    c("Orlando", "FL", "32801", "407"),
    c("Charleston", "SC", "29401", "843"),
    c("Richmond", "VA", "23219", "804"),
    c("Baltimore", "MD", "21201", "410"),
    c("Dover", "DE", "19901", "302"),
    c("Trenton", "NJ", "08608", "609"),
    c("Hartford", "CT", "06103", "860"),
    c("Providence", "RI", "02903", "401"),
    c("Boston", "MA", "02108", "617"),
    c("Burlington", "VT", "05401", "802"),
    c("Concord", "NH", "03301", "603"),
    c("Portland", "ME", "04101", "207"),
    c("Pittsburgh", "PA", "15222", "412"),
    c("Harrisburg", "PA", "17101", "717"),
    c("Buffalo", "NY", "14202", "716"),
    c("Cleveland", "OH", "44113", "216"),
    c("Detroit", "MI", "48226", "313"),
    c("Lansing", "MI", "48933", "517"),
    c("Indianapolis", "IN", "46204", "317"),
    c("Chicago", "IL", "60601", "312"),
    c("Milwaukee", "WI", "53202", "414"),
    c("Minneapolis", "MN", "55401", "612"),
    c("Saint Paul", "MN", "55102", "651"),
    c("Fargo", "ND", "58102", "701"),
    c("Sioux Falls", "SD", "57104", "605"),
    c("Billings", "MT", "59101", "406"),
    c("Cheyenne", "WY", "82001", "307"),
    c("Salt Lake City", "UT", "84111", "801"),
    c("Phoenix", "AZ", "85004", "602"),
    c("Tucson", "AZ", "85701", "520"),
    c("Albuquerque", "NM", "87102", "505"),
    c("Las Vegas", "NV", "89101", "702"),
    c("Reno", "NV", "89501", "775"),
    c("Sacramento", "CA", "95814", "916"),
    c("Fresno", "CA", "93721", "559"),
    c("San Diego", "CA", "92101", "619"),
    c("Seattle", "WA", "98101", "206"),
    c("Spokane", "WA", "99201", "509"),
    c("Anchorage", "AK", "99501", "907"),
    c("Honolulu", "HI", "96813", "808"),
    c("Kansas City", "MO", "64106", "816"),
    c("Saint Louis", "MO", "63101", "314"),
    c("Wichita", "KS", "67202", "316"),
    c("Topeka", "KS", "66603", "785"),
    c("New Orleans", "LA", "70112", "504"),
    c("Baton Rouge", "LA", "70801", "225"),
    c("Memphis", "TN", "38103", "901"),
    c("Charlotte", "NC", "28202", "704"),
    c("Columbia", "SC", "29201", "803"),
    c("Savannah", "GA", "31401", "912"),
    c("Montgomery", "AL", "36104", "334"),
    c("Lexington", "KY", "40507", "859"),
    c("Charleston", "WV", "25301", "304"),
    c("Springfield", "MA", "01103", "413"),
];

/// Payers and the shape of their member ids and group numbers. In a member
/// id pattern `A` is a letter, `9` a digit, `C` a Medicare MBI letter.
#[derive(Clone, Copy, Debug)]
pub struct Payer {
    pub name: &'static str,
    pub member: &'static str,
    /// `None`: the plan has no group number (Medicare, Medicaid).
    pub group: Option<&'static str>,
}

pub const PAYERS: &[Payer] = &[
    Payer { name: "Blue Cross Blue Shield", member: "AAA999999999", group: Some("99999") },
    Payer { name: "Aetna", member: "W999999999", group: Some("999999") },
    Payer { name: "Medicare", member: "9CA9CC9CC99", group: None },
    Payer { name: "Medicaid", member: "99999999999", group: None },
    Payer { name: "UnitedHealthcare", member: "999999999", group: Some("999999") },
    Payer { name: "Cigna", member: "U99999999", group: Some("9999999") },
    Payer { name: "Humana", member: "H99999999", group: Some("A9999") },
    Payer { name: "Kaiser Permanente", member: "99999999", group: Some("9999") },
    Payer { name: "Anthem Blue Cross", member: "AAA999A99999", group: Some("999999") },
    Payer { name: "Tricare", member: "99999999999", group: None },
];

/// Letters allowed in a Medicare beneficiary identifier.
pub const MBI_LETTERS: &[u8] = b"ACDEFGHJKMNPQRTUVWXY";

/// A clinical condition with its code in each system.
#[derive(Clone, Copy, Debug)]
pub struct Condition {
    pub key: &'static str,
    pub icd9: (&'static str, &'static str),
    pub icd10: (&'static str, &'static str),
    /// Age range in years in which it is given.
    pub min_age: u32,
    pub max_age: u32,
    /// Chronic (carried from visit to visit) or acute (one visit).
    pub chronic: bool,
}

const fn cond(
    key: &'static str,
    icd9: (&'static str, &'static str),
    icd10: (&'static str, &'static str),
    min_age: u32,
    max_age: u32,
    chronic: bool,
) -> Condition {
    Condition { key, icd9, icd10, min_age, max_age, chronic }
}

pub const CONDITIONS: &[Condition] = &[
    cond("diabetes", ("250.00", "Diabetes mellitus type II"), ("E11.9", "Type 2 diabetes mellitus without complications"), 30, 120, true),
    cond("hypertension", ("401.9", "Essential hypertension"), ("I10", "Essential (primary) hypertension"), 25, 120, true),
    cond("hyperlipidemia", ("272.4", "Other and unspecified hyperlipidemia"), ("E78.5", "Hyperlipidemia, unspecified"), 25, 120, true),
    cond("asthma", ("493.90", "Asthma, unspecified"), ("J45.909", "Unspecified asthma, uncomplicated"), 3, 120, true),
    cond("hypothyroidism", ("244.9", "Hypothyroidism, unspecified"), ("E03.9", "Hypothyroidism, unspecified"), 20, 120, true),
    cond("gerd", ("530.81", "Esophageal reflux"), ("K21.9", "Gastro-esophageal reflux disease without esophagitis"), 18, 120, true),
    cond("depression", ("311", "Depressive disorder, not elsewhere classified"), ("F32.9", "Major depressive disorder, single episode, unspecified"), 14, 120, true),
    cond("osteoarthritis", ("715.96", "Osteoarthrosis, lower leg"), ("M17.9", "Osteoarthritis of knee, unspecified"), 45, 120, true),
    cond("afib", ("427.31", "Atrial fibrillation"), ("I48.91", "Unspecified atrial fibrillation"), 50, 120, true),
    cond("chf", ("428.0", "Congestive heart failure, unspecified"), ("I50.9", "Heart failure, unspecified"), 55, 120, true),
    cond("cad", ("414.01", "Coronary atherosclerosis of native coronary artery"), ("I25.10", "Atherosclerotic heart disease of native coronary artery"), 45, 120, true),
    cond("rhinitis", ("477.9", "Allergic rhinitis, cause unspecified"), ("J30.9", "Allergic rhinitis, unspecified"), 3, 120, true),
    cond("neuropathy", ("356.9", "Idiopathic peripheral neuropathy, unspecified"), ("G62.9", "Polyneuropathy, unspecified"), 40, 120, true),
    cond("insomnia", ("780.52", "Insomnia, unspecified"), ("G47.00", "Insomnia, unspecified"), 18, 120, true),
    cond("vitd", ("268.9", "Unspecified vitamin D deficiency"), ("E55.9", "Vitamin D deficiency, unspecified"), 18, 120, true),
    cond("obesity", ("278.00", "Obesity, unspecified"), ("E66.9", "Obesity, unspecified"), 12, 120, true),
    cond("uri", ("465.9", "Acute upper respiratory infection"), ("J06.9", "Acute upper respiratory infection, unspecified"), 0, 120, false),
    cond("otitis", ("382.9", "Otitis media, unspecified"), ("H66.90", "Otitis media, unspecified, unspecified ear"), 0, 12, false),
    cond("uti", ("599.0", "Urinary tract infection, site not specified"), ("N39.0", "Urinary tract infection, site not specified"), 5, 120, false),
    cond("back_pain", ("724.2", "Lumbago"), ("M54.5", "Low back pain"), 18, 120, false),
    cond("sinusitis", ("461.9", "Acute sinusitis, unspecified"), ("J01.90", "Acute sinusitis, unspecified"), 5, 120, false),
    cond("bronchitis", ("466.0", "Acute bronchitis"), ("J20.9", "Acute bronchitis, unspecified"), 2, 120, false),
    cond("pharyngitis", ("462", "Acute pharyngitis"), ("J02.9", "Acute pharyngitis, unspecified"), 2, 120, false),
    cond("well_adult", ("V70.0", "Routine general medical examination at a health care facility"), ("Z00.00", "General adult medical examination without abnormal findings"), 18, 120, false),
    cond("well_child", ("V20.2", "Routine infant or child health check"), ("Z00.129", "Routine child health examination without abnormal findings"), 0, 17, false),
    cond("vaccination", ("V04.81", "Need for prophylactic vaccination, influenza"), ("Z23", "Encounter for immunization"), 1, 120, false),
];

/// A medication as it appears on a medication list: name, dose choices,
/// route, frequency; given for a condition key (or any patient for `None`).
#[derive(Clone, Copy, Debug)]
pub struct Drug {
    pub name: &'static str,
    pub doses: &'static [&'static str],
    pub route: &'static str,
    pub freqs: &'static [&'static str],
    pub for_condition: &'static str,
    /// Earliest year the drug is used in the generated charts.
    pub since: i32,
    /// Drug class an allergy would forbid (`penicillin`, `nsaid`, `sulfa`, `none`).
    pub class: &'static str,
}

const fn d(
    name: &'static str,
    doses: &'static [&'static str],
    route: &'static str,
    freqs: &'static [&'static str],
    for_condition: &'static str,
    since: i32,
    class: &'static str,
) -> Drug {
    Drug { name, doses, route, freqs, for_condition, since, class }
}

pub const DRUGS: &[Drug] = &[
    d("Metformin", &["500 mg", "850 mg", "1000 mg"], "PO", &["BID", "daily"], "diabetes", 1995, "none"),
    d("Glipizide", &["5 mg", "10 mg"], "PO", &["daily", "BID"], "diabetes", 1984, "sulfa"),
    d("Insulin glargine", &["10 units", "20 units", "30 units"], "SC", &["QHS"], "diabetes", 2001, "none"),
    d("Lisinopril", &["10 mg", "20 mg", "40 mg"], "PO", &["daily"], "hypertension", 1988, "none"),
    d("Amlodipine", &["5 mg", "10 mg"], "PO", &["daily"], "hypertension", 1992, "none"),
    d("Hydrochlorothiazide", &["12.5 mg", "25 mg"], "PO", &["daily"], "hypertension", 1960, "sulfa"),
    d("Metoprolol tartrate", &["25 mg", "50 mg"], "PO", &["BID"], "hypertension", 1978, "none"),
    d("Losartan", &["50 mg", "100 mg"], "PO", &["daily"], "hypertension", 1995, "none"),
    d("Atorvastatin", &["10 mg", "20 mg", "40 mg"], "PO", &["QHS", "daily"], "hyperlipidemia", 1997, "none"),
    d("Simvastatin", &["20 mg", "40 mg"], "PO", &["QHS"], "hyperlipidemia", 1992, "none"),
    d("Pravastatin", &["20 mg", "40 mg"], "PO", &["daily"], "hyperlipidemia", 1991, "none"),
    d("Albuterol", &["90 mcg"], "INH", &["Q4H PRN", "Q6H PRN"], "asthma", 1982, "none"),
    d("Fluticasone", &["110 mcg", "220 mcg"], "INH", &["BID"], "asthma", 1996, "none"),
    d("Montelukast", &["4 mg", "10 mg"], "PO", &["QHS"], "asthma", 1998, "none"),
    d("Levothyroxine", &["50 mcg", "75 mcg", "100 mcg"], "PO", &["daily"], "hypothyroidism", 1970, "none"),
    d("Omeprazole", &["20 mg", "40 mg"], "PO", &["daily"], "gerd", 1990, "none"),
    d("Famotidine", &["20 mg"], "PO", &["BID"], "gerd", 1986, "none"),
    d("Sertraline", &["50 mg", "100 mg"], "PO", &["daily"], "depression", 1992, "none"),
    d("Fluoxetine", &["20 mg", "40 mg"], "PO", &["daily"], "depression", 1988, "none"),
    d("Citalopram", &["20 mg"], "PO", &["daily"], "depression", 1998, "none"),
    d("Acetaminophen", &["500 mg", "650 mg"], "PO", &["Q6H PRN"], "osteoarthritis", 1960, "none"),
    d("Naproxen", &["250 mg", "500 mg"], "PO", &["BID"], "osteoarthritis", 1976, "nsaid"),
    d("Meloxicam", &["7.5 mg", "15 mg"], "PO", &["daily"], "osteoarthritis", 2000, "nsaid"),
    d("Warfarin", &["2.5 mg", "5 mg"], "PO", &["daily"], "afib", 1960, "none"),
    d("Apixaban", &["5 mg"], "PO", &["BID"], "afib", 2013, "none"),
    d("Furosemide", &["20 mg", "40 mg"], "PO", &["daily"], "chf", 1966, "sulfa"),
    d("Carvedilol", &["6.25 mg", "12.5 mg"], "PO", &["BID"], "chf", 1997, "none"),
    d("Aspirin", &["81 mg"], "PO", &["daily"], "cad", 1960, "nsaid"),
    d("Clopidogrel", &["75 mg"], "PO", &["daily"], "cad", 1998, "none"),
    d("Cetirizine", &["5 mg", "10 mg"], "PO", &["daily"], "rhinitis", 1996, "none"),
    d("Fluticasone nasal", &["50 mcg"], "Nasal", &["daily"], "rhinitis", 1995, "none"),
    d("Gabapentin", &["300 mg", "600 mg"], "PO", &["TID"], "neuropathy", 1994, "none"),
    d("Trazodone", &["50 mg"], "PO", &["QHS"], "insomnia", 1982, "none"),
    d("Vitamin D3", &["1000 units", "2000 units"], "PO", &["daily"], "vitd", 1960, "none"),
    d("Amoxicillin", &["250 mg", "500 mg"], "PO", &["TID"], "otitis", 1975, "penicillin"),
    d("Amoxicillin", &["500 mg"], "PO", &["TID"], "sinusitis", 1975, "penicillin"),
    d("Azithromycin", &["250 mg"], "PO", &["daily"], "bronchitis", 1992, "none"),
    d("Nitrofurantoin", &["100 mg"], "PO", &["BID"], "uti", 1960, "none"),
    d("Cyclobenzaprine", &["5 mg", "10 mg"], "PO", &["TID PRN"], "back_pain", 1977, "none"),
    d("Ibuprofen", &["400 mg", "600 mg"], "PO", &["TID PRN"], "back_pain", 1974, "nsaid"),
];

/// Allergy substances, the drug class they forbid, and typical reactions.
pub const ALLERGENS: &[(&str, &str)] = &[
    ("Penicillin", "penicillin"),
    ("Amoxicillin", "penicillin"),
    ("Sulfa", "sulfa"),
    ("Codeine", "none"),
    ("Aspirin", "nsaid"),
    ("Ibuprofen", "nsaid"),
    ("Latex", "none"),
    ("Shellfish", "none"),
    ("Peanuts", "none"),
    ("Morphine", "none"),
    ("Erythromycin", "none"),
    ("Iodine", "none"),
    ("Eggs", "none"),
    ("Bee stings", "none"),
    ("Tetracycline", "none"),
];

pub const REACTIONS: &[&str] = &[
    "rash", "hives", "nausea", "anaphylaxis", "itching", "swelling", "vomiting", "wheezing",
    "upset stomach", "shortness of breath",
];

/// A vaccine as recorded: name, CVX code, years in use, ages (years) given.
#[derive(Clone, Copy, Debug)]
pub struct Vaccine {
    pub name: &'static str,
    pub cvx: &'static str,
    pub from: i32,
    pub until: i32,
    pub min_age_months: u32,
    pub max_age_years: u32,
    /// Given only from September to December (seasonal influenza).
    pub seasonal: bool,
}

const fn v(
    name: &'static str,
    cvx: &'static str,
    from: i32,
    until: i32,
    min_age_months: u32,
    max_age_years: u32,
    seasonal: bool,
) -> Vaccine {
    Vaccine { name, cvx, from, until, min_age_months, max_age_years, seasonal }
}

pub const VACCINES: &[Vaccine] = &[
    v("Influenza", "15", 1988, 2010, 6, 120, true),
    v("Influenza", "141", 2011, 2024, 6, 120, true),
    v("Influenza", "158", 2014, 2024, 6, 120, true),
    v("Tdap", "115", 2005, 2024, 132, 120, false),
    v("Td", "09", 1988, 2024, 84, 120, false),
    v("MMR", "03", 1988, 2024, 12, 50, false),
    v("Hepatitis B", "08", 1991, 2024, 0, 18, false),
    v("Hepatitis B", "43", 1988, 2024, 228, 59, false),
    v("Pneumococcal", "33", 1988, 2024, 780, 120, false),
    v("Pneumococcal conjugate", "133", 2010, 2024, 2, 120, false),
    v("Zoster", "121", 2006, 2020, 720, 120, false),
    v("Zoster", "187", 2018, 2024, 600, 120, false),
    v("COVID-19", "208", 2021, 2022, 144, 120, false),
    v("COVID-19", "207", 2021, 2022, 216, 120, false),
    v("DTaP", "20", 1992, 2024, 2, 6, false),
    v("IPV", "10", 1988, 2024, 2, 17, false),
    v("Varicella", "21", 1995, 2024, 12, 18, false),
    v("Hepatitis A", "83", 1996, 2024, 12, 18, false),
    v("HPV", "165", 2015, 2024, 108, 26, false),
    v("Hib", "48", 1993, 2024, 2, 5, false),
];

/// Clinic names for the letterhead (no label word in them).
pub const CLINIC_PLACES: &[&str] = &[
    "Riverside", "Lakeview", "Oak Valley", "Cedar Hills", "Northside", "Westbrook", "Maple Grove",
    "Pine Ridge", "Summit", "Fairmont", "Brookside", "Hillcrest", "Meadowbrook", "Stonebridge",
    "Willow Creek", "Harbor", "Prairie", "Bayside", "Eastgate", "Greenfield",
];

pub const CLINIC_KINDS: &[&str] = &[
    "Family Medicine", "Internal Medicine", "Pediatrics", "Health Center", "Primary Care",
    "Medical Associates", "Family Practice",
];

/// Provider credentials.
pub const CREDENTIALS: &[&str] = &["MD", "MD", "MD", "DO", "NP", "PA-C"];

#[cfg(test)]
/// Words a narrative sentence must never contain: they are labels of the
/// default pipeline (or parts of them) and would make a clean chart ambiguous.
pub const LABEL_WORDS: &[&str] = &[
    "patient", "name", "mrn", "medical", "record", "chart", "date", "dob", "birth", "birthdate",
    "sex", "gender", "address", "street", "city", "state", "zip", "phone", "telephone", "tel",
    "allergies", "allergy", "insurance", "payer", "carrier", "member", "subscriber", "policy",
    "id", "group", "service", "visit", "dos", "encounter", "provider", "physician", "attending",
    "seen", "npi", "diagnosis", "diagnoses", "assessment", "dx", "impression", "bp", "blood",
    "pressure", "pulse", "hr", "heart", "rate", "temp", "temperature", "weight", "wt", "signed",
    "signature", "electronically", "drug", "medication", "medications", "dose", "dosage",
    "strength", "route", "frequency", "freq", "sig", "start", "started", "vaccine",
    "immunization", "immunizations", "cvx", "given", "administered", "lot", "note",
    "progress", "office", "clinic", "registration", "face", "sheet", "information", "form",
    "list", "current", "history", "vaccination",
];

/// Narrative sentences by condition key (and "any"), free of label words.
pub const COMPLAINTS: &[(&str, &str)] = &[
    ("diabetes", "Follow-up of type 2 diabetes."),
    ("hypertension", "Follow-up of hypertension."),
    ("hyperlipidemia", "Lipid follow-up, fasting labs reviewed."),
    ("asthma", "Cough and wheezing at night for one week."),
    ("hypothyroidism", "Thyroid follow-up, feels well."),
    ("gerd", "Heartburn after meals."),
    ("depression", "Mood follow-up, sleeping better."),
    ("osteoarthritis", "Knee pain, worse with stairs."),
    ("afib", "Palpitations, anticoagulation follow-up."),
    ("chf", "Ankle swelling, mild dyspnea on exertion."),
    ("cad", "Follow-up after stent placement, no angina."),
    ("rhinitis", "Sneezing and congestion every spring."),
    ("neuropathy", "Numbness and tingling in both feet."),
    ("insomnia", "Trouble falling asleep for two months."),
    ("vitd", "Fatigue, low vitamin D on recent labs."),
    ("obesity", "Wants help with healthy eating and exercise."),
    ("uri", "Sore throat, runny nose and cough for three days."),
    ("otitis", "Ear pain and fever since yesterday."),
    ("uti", "Burning on urination for two days."),
    ("back_pain", "Low back pain after lifting boxes."),
    ("sinusitis", "Facial pain and congestion for ten days."),
    ("bronchitis", "Productive cough for one week, no fever."),
    ("pharyngitis", "Sore throat and fever."),
    ("well_adult", "Annual physical examination."),
    ("well_child", "Well child check, growing well."),
    ("vaccination", "Here for a flu shot."),
];

pub const HPI: &[&str] = &[
    "Reports good adherence to the regimen. No chest pain or shortness of breath.",
    "Symptoms began gradually. Denies fever or chills. Appetite is good.",
    "Feels well overall. Exercising three times a week. No new complaints.",
    "Home readings reviewed and mostly in range. No dizziness or headaches.",
    "No nausea or vomiting. Sleeping well. No side effects reported.",
    "Denies recent travel or sick contacts. Eating and drinking normally.",
    "Symptoms improve with rest. No numbness or weakness in the legs.",
];

pub const EXAM: &[&str] = &[
    "Alert and oriented, in no distress. Lungs clear. Regular rhythm, no murmur.",
    "Well appearing. Throat mildly red. Lungs clear to auscultation.",
    "No acute distress. Abdomen soft and nontender. Extremities without edema.",
    "Alert, pleasant. Lungs with scattered wheezes. No retractions.",
    "Normal gait. Mild crepitus of both knees. Neurologically intact.",
];

pub const PLANS: &[&str] = &[
    "Continue the same regimen. Return in 3 months.",
    "Labs ordered. Follow up in 6 weeks or sooner if worse.",
    "Diet and exercise counseling provided. Recheck in 3 months.",
    "Rest, fluids and symptomatic care. Return if not improving.",
    "Refills sent to the pharmacy. Return in 6 months.",
    "Counseled on warning signs. Follow up in 2 weeks.",
];
