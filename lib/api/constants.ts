// The Merlai API's fixed names and numbers: its construct type in errors, port, images, user. No objects.

/** The construct type errors name (`[path] MerlaiApi: 'prop' is …`). */
export const API_TYPE = 'MerlaiApi';
/** The image Levels 2 and 3 run unless told otherwise: an explicit release tag, never `latest`. */
export const DEFAULT_PINNED_IMAGE = 'merlai:1.0.0';
/** The image of the guide's Level 1 (a locally built `merlai:latest`). */
export const DEVELOPMENT_IMAGE = 'merlai:latest';
/** The port Merlai's FastAPI server listens on. */
export const API_CONTAINER_PORT = 8000;
/** The user the Merlai image is built with (the guide's `runAsUser: 1000`, `fsGroup: 1000`). */
export const API_UID = 1000;
/** `XDG_CACHE_HOME` of the API container, an emptyDir. */
export const CACHE_DIR = '/var/cache/merlai';
