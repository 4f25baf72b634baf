import { createContext, useContext } from 'react';

/** This tab's identity: { tabId, name, color } (lib/identity.js). */
export const IdentityContext = createContext(null);
export const useIdentity = () => useContext(IdentityContext);
