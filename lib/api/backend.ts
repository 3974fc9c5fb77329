// The backend choice, as users see it: which backends run here, which one is active, switching.
export { initBackend, ensureBackend, activeBackend, availableBackends, BACKEND_NAMES, type BackendName, type BackendInfo } from '../backend';
