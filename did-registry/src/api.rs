//! The HTTP API's request and response types, shared by the node and the typed client.
