use crosscode_core::cross_border_message;
use crosscode_core::crossborder::{Digest, PersonalData};

// Even with a hand-written serializer that reads the value out, the message does not compile:
// its field's type is not `NoPersonalData`.
fn leak<S: serde::Serializer>(name: &PersonalData<String>, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(name.expose())
}

cross_border_message! {
    #[derive(serde::Serialize)]
    pub struct Leaky {
        pub hash: Digest,
        #[serde(serialize_with = "leak")]
        pub name: PersonalData<String>,
    }
}

fn main() {}
