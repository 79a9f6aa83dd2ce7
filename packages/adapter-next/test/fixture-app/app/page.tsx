export default function Home() {
  return <h1>Fixture store</h1>
}
