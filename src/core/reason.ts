/** The one failure value of an activation: a stable `code` for programs, a `detail` for the banner. */
export interface Reason {
  code: string;
  detail: string;
}
