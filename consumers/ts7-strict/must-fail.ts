// Must NOT compile: proves the strict project's checks can fail (consumers.sh expects an error).
import { invalidProp } from 'merlai-cdk8s';
import { requireInteger } from 'merlai-cdk8s/build/lib/errors';

invalidProp;
requireInteger;
