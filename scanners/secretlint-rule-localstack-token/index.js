// secretlint rule: LocalStack auth tokens (ls-…) and CI auth tokens (lsci-…) whose 4-character checksum matches.
// The checksum (first 4 hex characters of SHA-256 of prefix + the 28 random characters) is the one of
// src/core/credentials.ts; a look-alike whose checksum does not match is not reported.
import { createHash } from 'node:crypto';

const TOKEN = /(?<![A-Za-z0-9_-])(lsci-|ls-)([A-Za-z0-9]{8})-([A-Za-z0-9]{4})-([A-Za-z0-9]{4})-([A-Za-z0-9]{4})-([A-Za-z0-9]{12})(?![A-Za-z0-9_-])/g;

/** True when the token's last 4 characters are the checksum of its prefix and first 28 characters. */
export function checksumMatches(token) {
  const prefix = token.startsWith('lsci-') ? 'lsci-' : 'ls-';
  const chars = token.slice(prefix.length).replaceAll('-', '');
  return createHash('sha256').update(prefix + chars.slice(0, 28)).digest('hex').slice(0, 4) === chars.slice(28);
}

// No data props: secretlint masks every prop value in its output, so the message names the kind in its text.
export const messages = {
  LOCALSTACK_AUTH_TOKEN: {
    en: () => 'found a LocalStack auth token: rotate it on https://app.localstack.cloud/workspace/auth-tokens and remove it from the file and its history',
  },
  LOCALSTACK_CI_TOKEN: {
    en: () => 'found a LocalStack CI auth token: have it rotated on https://app.localstack.cloud/workspace/auth-tokens and remove it from the file and its history',
  },
};

export const creator = {
  messages,
  meta: {
    id: 'secretlint-rule-localstack-token',
    type: 'scanner',
    recommended: true,
    supportedContentTypes: ['text'],
    docs: { url: 'https://app.localstack.cloud/workspace/auth-tokens' },
  },
  create(context) {
    const t = context.createTranslator(messages);
    return {
      file(source) {
        for (const m of source.content.matchAll(TOKEN)) {
          if (!checksumMatches(m[0])) continue;
          context.report({
            message: t(m[1] === 'lsci-' ? 'LOCALSTACK_CI_TOKEN' : 'LOCALSTACK_AUTH_TOKEN'),
            range: [m.index, m.index + m[0].length],
          });
        }
      },
    };
  },
};
