using System.Collections.Concurrent;
using Tomlyn.Model;

namespace AutoCrm.DevStack.Auth;

/// <summary>
/// config.toml <c>[auth.rate_limit]</c>, with the Supabase CLI's template values as defaults. The CLI passes them to
/// GoTrue as <c>GOTRUE_RATE_LIMIT_*</c>: <c>sign_in_sign_ups</c> becomes <c>RATE_LIMIT_OTP</c> and
/// <c>token_verifications</c> becomes <c>RATE_LIMIT_VERIFY</c>; <c>email_sent</c> only applies with a custom SMTP server.
/// </summary>
internal sealed record AuthRateLimits
{
    /// <summary>Emails sent per hour (not applied here: the DevStack sends no email).</summary>
    public int EmailSent { get; init; } = 2;

    /// <summary>SMS messages per hour (not applied here: no phone sign-ins).</summary>
    public int SmsSent { get; init; } = 30;

    /// <summary>Anonymous sign-ins per hour per IP (not applied here: anonymous sign-ins are disabled).</summary>
    public int AnonymousUsers { get; init; } = 30;

    /// <summary>Requests to <c>/token</c> (every grant) per 5 minutes per IP, burst 30.</summary>
    public int TokenRefresh { get; init; } = 150;

    /// <summary>Sign-ups (and <c>PUT /user</c>, a bucket of its own) per 5 minutes per IP, burst 30.</summary>
    public int SignInSignUps { get; init; } = 30;

    /// <summary>OTP/magic-link verifications per 5 minutes per IP (not applied here: no <c>/verify</c>).</summary>
    public int TokenVerifications { get; init; } = 30;

    /// <summary>Web3 sign-ins per 5 minutes per IP (not applied here).</summary>
    public int Web3 { get; init; } = 30;

    internal static AuthRateLimits FromToml(TomlTable? table)
    {
        var limits = new AuthRateLimits();
        if (table is null)
        {
            return limits;
        }

        return limits with
        {
            EmailSent = Int(table, "email_sent") ?? limits.EmailSent,
            SmsSent = Int(table, "sms_sent") ?? limits.SmsSent,
            AnonymousUsers = Int(table, "anonymous_users") ?? limits.AnonymousUsers,
            TokenRefresh = Int(table, "token_refresh") ?? limits.TokenRefresh,
            SignInSignUps = Int(table, "sign_in_sign_ups") ?? limits.SignInSignUps,
            TokenVerifications = Int(table, "token_verifications") ?? limits.TokenVerifications,
            Web3 = Int(table, "web3") ?? limits.Web3,
        };
    }

    private static int? Int(TomlTable table, string key) =>
        table.TryGetValue(key, out var value) && value is long l ? checked((int)l) : null;
}

/// <summary>The GoTrue limiters the DevStack applies (supabase/auth <c>internal/api/options.go</c>).</summary>
internal enum AuthLimit
{
    /// <summary><c>POST /token</c>, every grant type: <c>token_refresh</c> per 5 minutes, burst 30.</summary>
    Token,

    /// <summary><c>POST /signup</c> with an email or phone: <c>sign_in_sign_ups</c> per 5 minutes, burst 30.</summary>
    Signups,

    /// <summary><c>PUT /user</c>: <c>sign_in_sign_ups</c> per 5 minutes, burst 30 (its own bucket).</summary>
    User,
}

/// <summary>
/// GoTrue's per-address request limits: a token bucket per limiter and client address (tollbooth over
/// <c>golang.org/x/time/rate</c>): it starts full at the burst size and refills continuously at limit/window, and a
/// request that finds no whole token is refused with 429 <c>over_request_rate_limit</c> "Request rate limit reached".
/// GoTrue applies these only when <c>GOTRUE_RATE_LIMIT_HEADER</c> names the header that carries the client address,
/// which the hosted platform sets and <c>supabase start</c> does not. The DevStack applies them by default
/// (<see cref="DevStackSettings.EnforceAuthRateLimits"/>), keyed by the TCP peer address; no header is trusted for the
/// address, so a client cannot pick a fresh bucket.
/// The clock is the DevStack's <see cref="TimeProvider"/>.
/// </summary>
internal sealed class AuthRateLimiter(DevStackSettings settings, TimeProvider timeProvider)
{
    internal const string Message = "Request rate limit reached";
    private const double FiveMinutes = 5 * 60;
    private const int Burst = 30;
    private const int MaxKeys = 10_000;

    private readonly Bucket _token = new(settings.RateLimits.TokenRefresh / FiveMinutes, Burst);
    private readonly Bucket _signups = new(settings.RateLimits.SignInSignUps / FiveMinutes, Burst);
    private readonly Bucket _user = new(settings.RateLimits.SignInSignUps / FiveMinutes, Burst);

    /// <summary>Takes one request from the limiter's bucket for the caller's address.</summary>
    /// <exception cref="AuthApiException">429 <c>over_request_rate_limit</c> when the bucket is empty.</exception>
    internal void Check(AuthLimit limit, HttpContext context)
    {
        if (!settings.EnforceAuthRateLimits)
        {
            return;
        }

        var bucket = limit switch
        {
            AuthLimit.Token => _token,
            AuthLimit.Signups => _signups,
            _ => _user,
        };
        var key = context.Connection.RemoteIpAddress?.ToString() ?? string.Empty;
        if (!bucket.TryTake(key, timeProvider.GetUtcNow()))
        {
            throw new AuthApiException(StatusCodes.Status429TooManyRequests, AuthErrorCodes.OverRequestRateLimit, Message);
        }
    }

    private sealed class Bucket(double tokensPerSecond, int burst)
    {
        private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

        internal bool TryTake(string key, DateTimeOffset now)
        {
            if (_states.Count > MaxKeys)
            {
                Prune(now);
            }

            var state = _states.GetOrAdd(key, static (_, s) => new State(s.burst, s.now), (burst, now));
            lock (state)
            {
                state.Refill(now, tokensPerSecond, burst);
                if (state.Tokens < 1)
                {
                    return false;
                }

                state.Tokens -= 1;
                return true;
            }
        }

        /// <summary>Drops addresses whose bucket has refilled (GoTrue's limiter entries expire after an idle hour).</summary>
        private void Prune(DateTimeOffset now)
        {
            foreach (var (key, state) in _states)
            {
                lock (state)
                {
                    state.Refill(now, tokensPerSecond, burst);
                    if (state.Tokens >= burst)
                    {
                        _states.TryRemove(key, out _);
                    }
                }
            }
        }
    }

    private sealed class State(double tokens, DateTimeOffset last)
    {
        internal double Tokens { get; set; } = tokens;

        private DateTimeOffset Last { get; set; } = last;

        internal void Refill(DateTimeOffset now, double tokensPerSecond, int burst)
        {
            if (now > Last)
            {
                Tokens = Math.Min(burst, Tokens + ((now - Last).TotalSeconds * tokensPerSecond));
                Last = now;
            }
        }
    }
}
