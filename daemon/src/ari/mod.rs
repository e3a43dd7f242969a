//! ARI: typed REST client, typed event stream over WebSocket with reconnect, and an in-process
//! ARI simulator faithful to Asterisk 22 (used by tests, benches and `ringside ari-sim`).
