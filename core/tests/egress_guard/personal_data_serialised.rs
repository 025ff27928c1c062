use crosscode_core::crossborder::PersonalData;

fn main() {
    let name = PersonalData::new(String::from("A Person"));
    let _ = serde_json::to_string(&name);
}
