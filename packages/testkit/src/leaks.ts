/** Whether `output` contains the secret raw, JSON-escaped (once or twice), HTML-escaped or URL-encoded. */
export function leaks(output: string, secret: string): boolean {
  const forms = new Set([secret])
  const json = JSON.stringify(secret).slice(1, -1)
  forms.add(json)
  forms.add(JSON.stringify(json).slice(1, -1))
  forms.add(
    secret
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;'),
  )
  forms.add(encodeURIComponent(secret))
  for (const form of forms) if (output.includes(form)) return true
  return false
}
