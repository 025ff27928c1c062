//! The egress guard at compile time: a cross-border message made of the protocol's wire types
//! compiles; one with a personal field, a free-text field, a serialised `PersonalData` or a
//! hand-made `NoPersonalData` for `PersonalData` does not (`trybuild`; the expected compiler
//! messages are in `core/tests/egress_guard/*.stderr`).

#[test]
fn a_personal_value_cannot_be_put_into_a_cross_border_message() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/egress_guard/message_of_wire_types.rs");
    cases.compile_fail("tests/egress_guard/personal_field_in_message.rs");
    cases.compile_fail("tests/egress_guard/free_text_field_in_message.rs");
    cases.compile_fail("tests/egress_guard/personal_data_serialised.rs");
    cases.compile_fail("tests/egress_guard/marker_for_personal_data.rs");
}
