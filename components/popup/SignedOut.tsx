/** No broker or no token yet: one way forward, the options page. */
export function SignedOut(props: { reason?: string; onOpenSettings: () => void }) {
  return (
    <section class="notice" aria-labelledby="signed-out-title">
      <h1 id="signed-out-title">Not signed in</h1>
      <p>{props.reason ?? 'Unblock is not connected to a broker yet.'}</p>
      <button type="button" class="primary" onClick={props.onOpenSettings}>
        Open settings to sign in
      </button>
    </section>
  );
}
