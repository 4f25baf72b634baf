export const metadata = {
  title: 'Brolostack chat (Next.js)',
  icons: { icon: 'data:,' },
};

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
