"""Enterprise identity: SCIM 2.0 provisioning from the company's identity provider."""
