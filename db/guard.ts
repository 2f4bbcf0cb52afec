/**
 * Whether a session still authorises a change of `identityId` at `now`: the check both stores make
 * inside the transaction of a guarded mutation.
 */
export function sessionAllows(
  session: { active: boolean; identityId: string; expiresAt: Date },
  identityId: string,
  now: Date | undefined,
): boolean {
  return (
    session.active &&
    session.identityId === identityId &&
    (now === undefined || session.expiresAt.getTime() > now.getTime())
  );
}
