/// Names, companies and job titles for synthetic exports: international on purpose (accents, CJK,
/// right-to-left scripts, emoji), because real CRM data is.
enum SampleVocabulary {
    static let firstNames = [
        "Ana", "José", "Chloé", "Zoë", "Björn", "Søren", "Łukasz", "Ayşe", "Olu", "Chiamaka", "Priya", "Arjun",
        "Kenji", "Yuki", "太郎", "花子", "민준", "서연", "Wei", "李娜", "Mohammed", "فاطمة", "Noa", "Ivan",
        "Оля", "Dmitri", "Siobhán", "Liam", "Mariana", "João", "Amélie", "Émile", "Nguyễn", "Thảo", "Kai 🚀",
        "Mia", "Lucas", "Emma", "Noah", "Sofía",
    ]
    static let lastNames = [
        "García", "Müller", "Dubois", "Nørgaard", "Kowalski", "Yılmaz", "Adeyemi", "Okafor", "Nair", "Iyer",
        "Yamada", "山田", "김", "Chen", "王", "Al-Sayed", "Cohen", "Ivanov", "Петров", "O'Brien", "Souza",
        "Lefèvre", "Trần", "Smith", "Johnson", "Rossi", "Schmidt", "Novák", "Fernández", "Østergaard",
    ]
    static let domains = ["example.com", "example.org", "example.net", "mail.example.de", "correo.example.es", "example.co.jp"]
    static let companies = [
        "Hospital Clínic", "Charité", "Rakuten, Inc.", "Doctolib", "Flutterwave", "Infosys", "Siemens AG",
        "Nordea", "Mercado Libre", "Tencent", "Samsung", "Zalando SE", "\"Acme\" Health", "Blue Bottle Café",
    ]
    static let jobTitles = [
        "Registered Nurse", "Charge Nurse", "Backend Engineer", "UX Designer", "Data Analyst", "Product Manager",
        "Pharmacist", "Physiotherapist", "Site Reliability Engineer", "Customer Success Manager", "Welder",
        "Line Cook", "Radiographer", "Accountant",
    ]
    static let statuses = ["applied", "screening", "interview", "offer", "hired", "rejected"]
    static let currencies = ["EUR", "USD", "GBP", "JPY", "INR", "BRL", "NGN"]
}
