"""OAuth 2.0 for TD: the authorization-code flow, its callback server, and tokens."""
