// The counter: what a sales associate does all day.
import type { ScreenProps } from "../screen";
import { Counter, type Cart } from "./Counter";

export { emptyCart, type Cart } from "./Counter";

export interface CounterProps extends ScreenProps {
  /** Kept by the frame: a session that ends does not lose it. */
  cart: Cart;
  setCart: (cart: Cart) => void;
}

export function CounterScreen({ store, cart, setCart }: CounterProps) {
  if (!store) return <p>Pick a store to sell from.</p>;
  return <Counter store={store} cart={cart} setCart={setCart} />;
}
