// The API's messages about one field, shown next to it.
export function FieldError({ messages }: { messages?: string[] }) {
  if (!messages?.length) return null;
  return <p class="error" role="alert">{messages.join(" ")}</p>;
}
