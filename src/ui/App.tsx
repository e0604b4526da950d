/** The application shell. */
export function App() {
  return <h1>GeoZero Web</h1>;
}
