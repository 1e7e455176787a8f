import { PRODUCT } from './constants.ts';
import { VERSION } from './version.ts';

/** The JSON body of POST /license/activate (section 4), shared by the client and the server. */
export interface ActivationBody {
  product: typeof PRODUCT;
  version: string;
  ci: boolean;
  ciProvider: string | null;
  machineId: string;
}

/** What the server accepts: the client sends every field, but a body without ciProvider or machineId is still valid. */
export type ActivationRequest = Omit<ActivationBody, 'ciProvider' | 'machineId'> & Partial<Pick<ActivationBody, 'ciProvider' | 'machineId'>>;

export interface CiEnvironment {
  isCI: boolean;
  name: string | null;
}

export function activationBody(ci: CiEnvironment, machineId: string): ActivationBody {
  return { product: PRODUCT, version: VERSION, ci: ci.isCI, ciProvider: ci.name, machineId };
}
