use crosscode_core::cross_border_message;
use crosscode_core::crossborder::{CrossBorderMessage, Digest, HolderDid};

cross_border_message! {
    #[derive(serde::Serialize)]
    pub struct Receipt {
        pub hash: Digest,
        pub holder: Option<HolderDid>,
        pub count: u64,
    }
}

fn send(message: &impl CrossBorderMessage) -> String {
    serde_json::to_string(message).unwrap_or_default()
}

fn main() {
    let receipt = Receipt { hash: Digest([7; 32]), holder: None, count: 1 };
    assert!(send(&receipt).contains("0707"));
}
