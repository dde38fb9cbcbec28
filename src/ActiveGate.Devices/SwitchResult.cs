namespace ActiveGate.Devices;

/// <summary>The outcome of a relay switch, confirmed by reading the relay back.</summary>
/// <param name="Success">The relay now is in the requested state.</param>
/// <param name="RelayOn">The state read back, when the device answered.</param>
/// <param name="Detail">Why it failed, for the operator and the platform.</param>
public sealed record SwitchResult(bool Success, bool? RelayOn, string? Detail);
