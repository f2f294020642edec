/** Shared by AdminService and the CLI that calls it (kept free of imports so `--help` stays light). */

/** Of an AddMember call's deadline, what the server leaves for its answer to travel back. */
export const ADD_MEMBER_MARGIN_MS = 2000;
