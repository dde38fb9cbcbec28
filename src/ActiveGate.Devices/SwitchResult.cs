namespace ActiveGate.Devices;

/// <summary>The outcome of a relay switch, confirmed by reading the relay back.</summary>
/// <param name="Success">The relay now is in the requested state.</param>
/// <param name="RelayOn">The state read back in this switch; null when it was not read back (never a cached value).</param>
/// <param name="Detail">Why it failed, for the operator and the platform.</param>
/// <param name="Failure">What kind of failure, for a platform that acts on it without parsing <paramref name="Detail"/>.</param>
public sealed record SwitchResult(bool Success, bool? RelayOn, string? Detail, SwitchFailure Failure = SwitchFailure.None);

/// <summary>Why a switch failed.</summary>
public enum SwitchFailure
{
    None,

    /// <summary>The device answered but did not switch (an error code, no such relay, or the relay did not change).</summary>
    Refused,

    /// <summary>The device did not answer.</summary>
    Unreachable,

    /// <summary>The command's deadline passed before the device confirmed.</summary>
    TimedOut,
}
