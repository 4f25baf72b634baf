import { useEffect, useState } from 'react';
import { useBrolostackClient, useEvent } from 'brolostack/react';

/**
 * The live member list of a room held with useRoom, correct across
 * reconnects.
 *
 * Works around two gaps (see web-demo/README.md): after a reconnect the
 * client rejoins its rooms through `hello.resume`, which carries no member
 * `info`, so the others see this tab come back without its name; and
 * useRoom's `members` are never refreshed after a reconnect (members who
 * left or came while this tab was away stay wrong). So after each
 * reconnect this hook leaves and joins the room again with its info, takes
 * the join reply's members, and follows presence from there. `generation`
 * counts those re-joins (a reason to reload history).
 */
export function useRoomMembers(roomState, name, info) {
  const client = useBrolostackClient();
  const [fresh, setFresh] = useState(null);
  const [generation, setGeneration] = useState(0);

  useEvent('reconnected', () => {
    if (!client) return;
    client.leaveRoom(name).catch(() => {})
      .then(() => client.joinRoom(name, '', info))
      .then((reply) => {
        setFresh(reply?.members ?? []);
        setGeneration((g) => g + 1);
      })
      .catch(() => {});
  });

  const { room } = roomState;
  useEffect(() => {
    if (!room) return undefined;
    const offJoin = room.on('join', (m) => setFresh((list) => list && [...list.filter((x) => x.sid !== m?.sid), m]));
    const offLeave = room.on('leave', (m) => setFresh((list) => list && list.filter((x) => x.sid !== m?.sid)));
    return () => { offJoin(); offLeave(); };
  }, [room]);

  return { members: fresh ?? roomState.members, generation };
}
