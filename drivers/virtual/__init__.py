"""Virtual BLE peripherals on an in-process bumble link, and the bleak backend that reaches them."""
