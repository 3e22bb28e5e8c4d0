export {
  createSupporterService,
  InvalidDidError,
  type AttestedOptions,
  type SupportAnswer,
  type SupportOutcome,
  type SupporterService,
  type SupporterServiceOptions,
} from './service.js';
export { AtprotofansError, type AtprotofansFailure } from './client.js';
export { SUPPORTER_SOURCE_NAMES, type SupporterSourceName } from './sources.js';
export { isDid } from '../did.js';
