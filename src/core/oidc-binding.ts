// What a license activated with a CI ID token is bound to (its `tok` claim, its cache file): the pipeline's stable
// identity (issuer and subject), not the token, which is new at every start. Both the server and the entrypoint compute it.

/** The stand-in credential value for credentialBinding(): never a secret, never the token itself. */
export const oidcBindingValue = (issuer: string, subject: string) => `oidc:${issuer}#${subject}`;
