namespace ActiveGate.OneM2m.Primitives;

/// <summary>oneM2M resource types used by ActiveGate (TS-0004 §6.3.4.2.1, <c>ty</c>).</summary>
public enum ResourceType
{
    AccessControlPolicy = 1,
    AE = 2,
    Container = 3,
    ContentInstance = 4,
    CseBase = 5,
    Group = 9,
    MgmtObj = 13,
    Node = 14,
    PollingChannel = 15,
    RemoteCse = 16,
    Subscription = 23,
    FlexContainer = 28,
    TimeSeries = 29,
    TimeSeriesInstance = 30,
}
