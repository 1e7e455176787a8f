// The host CLI's defaults (section 8), in one place.

/** What `localstack start` runs, and where it looks for it. */
export const CLI_DEFAULTS = {
  image: 'localstack/localstack-pro',
  containerName: 'localstack-main',
  gatewayPort: 4566,
  servicePorts: '4510-4559',
  host: 'localhost:4566',
  /** The image's non-root user (Dockerfile: useradd --uid 10001), which must be able to write the volume. */
  imageUid: 10001,
} as const;
