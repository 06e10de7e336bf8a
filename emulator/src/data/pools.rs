//! The pools generated records draw their text from: names, streets and cities with non-ASCII
//! letters, product words, location names and tags, as real shops have them.

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Ada",
    "José",
    "Zoë",
    "Łukasz",
    "Søren",
    "Chloé",
    "Björk",
    "Ünal",
    "Mei",
    "Olamide",
    "Ngọc",
    "François",
    "Ana",
    "Noah",
    "Priya",
    "Mateus",
    "Ines",
    "Kenji",
    "Sofía",
    "Emil",
];
pub(crate) const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "García",
    "Müller",
    "Nowak",
    "Kjær",
    "Dubois",
    "Guðmundsdóttir",
    "Yılmaz",
    "Chen",
    "Adeyemi",
    "Nguyễn",
    "Lefèvre",
    "Silva",
    "Smith",
    "Patel",
    "Costa",
    "Ferreira",
    "Tanaka",
    "Martínez",
    "Berg",
];
pub(crate) const STREETS: &[&str] =
    &["Chestnut Street", "Rue de Rivoli", "Königstraße", "Main Street", "Calle Mayor", "Ørstedsvej", "King's Road"];
/// city, province, province code, country, country code, zip, latitude, longitude
pub(crate) type City = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, f64, f64);
pub(crate) const CITIES: &[City] = &[
    ("Louisville", "Kentucky", "KY", "United States", "US", "40202", 38.25, -85.76),
    ("Ottawa", "Ontario", "ON", "Canada", "CA", "K2P 1L4", 45.42, -75.69),
    ("Paris", "Île-de-France", "IDF", "France", "FR", "75001", 48.86, 2.35),
    ("München", "Bayern", "BY", "Germany", "DE", "80331", 48.14, 11.58),
    ("São Paulo", "São Paulo", "SP", "Brazil", "BR", "01000-000", -23.55, -46.63),
    ("Austin", "Texas", "TX", "United States", "US", "73301", 30.27, -97.74),
    ("København", "Capital Region", "84", "Denmark", "DK", "1050", 55.68, 12.57),
];
pub(crate) const ADJECTIVES: &[&str] =
    &["Crème", "Nordic", "Ōsaka", "Zürich", "Classic", "Rugged", "Señor", "Smørrebrød", "Vintage", "Alpine", "Coastal"];
pub(crate) const NOUNS: &[&str] =
    &["Mug", "Jacket", "Tea Set", "Backpack", "Lamp", "Scarf", "Bottle", "Notebook", "Candle", "Blanket"];
pub(super) const LOCATION_NAMES: &[&str] =
    &["Main warehouse", "Lyon dépôt", "Østerbro shop", "Overflow storage", "Pop-up Ōsaka"];
pub(super) const TAGS: &[&str] = &["", "", "wholesale", "VIP, repeat", "Léon, Noël", "gift"];
