// Stand-ins for the React bindings where React is not installed (a Node
// agent or backend importing 'brolostack'): importing works, calling one
// says what is missing.
function needsReact(name) {
  const standIn = () => {
    throw new Error(`${name} needs React: install it beside brolostack (npm i react)`);
  };
  Object.defineProperty(standIn, 'name', { value: name });
  return standIn;
}

export const BrolostackProvider = needsReact('BrolostackProvider');
export const useBrolostackClient = needsReact('useBrolostackClient');
export const useBrolostackState = needsReact('useBrolostackState');
export const useBrolostackWebSocket = needsReact('useBrolostackWebSocket');
export const useEvent = needsReact('useEvent');
export const useRoom = needsReact('useRoom');
