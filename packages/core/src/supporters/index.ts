export {
  createSupporterService,
  InvalidDidError,
  isDid,
  type SupportOutcome,
  type SupporterService,
  type SupporterServiceOptions,
} from './service.js';
export { AtprotofansError, type AtprotofansFailure } from './client.js';
