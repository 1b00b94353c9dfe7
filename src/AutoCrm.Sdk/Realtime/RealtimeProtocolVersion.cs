namespace AutoCrm.Sdk.Realtime;

/// <summary>The Phoenix serializer the realtime socket speaks (the <c>vsn</c> query parameter).</summary>
public enum RealtimeProtocolVersion
{
    /// <summary><c>vsn=2.0.0</c>: JSON arrays and binary user broadcasts (realtime-js 2.91+ default).</summary>
    V2 = 0,

    /// <summary><c>vsn=1.0.0</c>: JSON objects (older realtime-js).</summary>
    V1 = 1,
}
