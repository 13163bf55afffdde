// The request's CSP nonce, for Remix's inline scripts: set by entry.server on the server, "" in the browser.
import { createContext, useContext } from "react";

export const NonceContext = createContext("");
export const useNonce = () => useContext(NonceContext);
