use crosscode_core::crossborder::{NoPersonalData, PersonalData};

impl NoPersonalData for PersonalData<String> {}

fn main() {}
