import type { BackupObjectStore } from '../lib';
import { type AvailabilityLevel, LEVEL_PROFILES } from '../lib/core/levels';

// The example values of the shipped charts, shared by main.ts (the app without a configuration
// file) and the command's default configuration (config.ts, DEFAULT_CONFIG), which must agree.

/**
 * Where the shipped Level 2 and 3 charts put their backups: an EXAMPLE (a documentation address,
 * RFC 5737) to replace with your bucket. The Secret `merlai-backup-s3` in the namespace holds the
 * key pair (`ACCESS_KEY_ID`, `ACCESS_SECRET_KEY`); `cidr` is the endpoint's address range, which
 * the network policies open on the URL's port. README "Backup and restore".
 */
export function exampleObjectStore(level: AvailabilityLevel): BackupObjectStore {
  return {
    endpointUrl: 'https://s3.backup.example.com',
    bucket: 'merlai-backups',
    path: `merlai/${LEVEL_PROFILES[level].environment}`,
    credentialsSecretName: 'merlai-backup-s3',
    cidr: '198.51.100.20/32',
  };
}
