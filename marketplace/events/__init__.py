"""Learning events: what people do with learning, as actor, verb, object, context and time (xAPI's shape)."""
