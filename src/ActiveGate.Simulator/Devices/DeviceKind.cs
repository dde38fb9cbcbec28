namespace ActiveGate.Simulator.Devices;

/// <summary>The two device types of the ActiveGate mesh.</summary>
public enum DeviceKind
{
    /// <summary>Plug-in meter with one relay output, 16 A.</summary>
    ActivePlug,

    /// <summary>DIN-rail meter with three relay outputs, 20 A each.</summary>
    ActiveDin,
}

/// <summary>Static facts of a device model.</summary>
public static class DeviceModels
{
    /// <summary>Number of channels of <paramref name="kind"/>.</summary>
    public static int ChannelCount(DeviceKind kind) => kind == DeviceKind.ActivePlug ? 1 : 3;

    /// <summary>Rated current per channel in A.</summary>
    public static double RatedCurrent(DeviceKind kind) => kind == DeviceKind.ActivePlug ? 16 : 20;

    /// <summary>Model name reported in /dev/info.</summary>
    public static string ModelName(DeviceKind kind) => kind == DeviceKind.ActivePlug ? "ActivePlug" : "ActiveDIN";
}
