use crosscode_core::cross_border_message;
use crosscode_core::crossborder::Digest;

// Free text could hold anything: a message field must be a type that says what it holds.
cross_border_message! {
    #[derive(serde::Serialize)]
    pub struct Chatty {
        pub hash: Digest,
        pub note: String,
    }
}

fn main() {}
