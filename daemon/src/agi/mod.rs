//! FastAGI server: speaks the protocol as Asterisk 22 does and routes sessions by script path.
