using ActiveGate.HotSwap.Bench.SelfTest;

// Hot swap benchmark. Modes:
//   selftest        the delay proxy against its settings (RTT, bandwidth, order, half-close, target down, UDP, HTTP pairing)
return args.Length > 0 && args[0] == "selftest" ? await ProxySelfTests.RunAsync() : 2;
