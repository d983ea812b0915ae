// The one export of Next.js's `next/server` the guide's route uses (Next.js itself is not installed).
declare module 'next/server' {
  export const NextResponse: { json(body: unknown, init?: ResponseInit): Response };
}
