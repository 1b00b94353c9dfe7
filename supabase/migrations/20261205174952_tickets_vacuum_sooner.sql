-- Claims leave dead rows behind at the front of the claim index: each claim updates the oldest waiting ticket of a
-- queue, and the next claim's probe of that queue walks past the earlier claims' index entries until a vacuum
-- removes them. With PostgreSQL's default (vacuum once a fifth of the table is dead) a table of 10^6 tickets is not
-- vacuumed for hundreds of thousands of claims: in the 10-minute soak at 10^6 tickets (bench/README, "Claim soak,
-- session 10") claims slowed from 666/s to 418/s as 300,000 dead rows piled up with no vacuum, and a manual vacuum
-- (7.5 s at that size) brought the rate back up by a quarter. Tickets are now vacuumed once 2 % of them are dead
-- (20,000 at 10^6), which a busy queue reaches every minute or two and a quiet help desk rarely. The same soak with
-- this setting: an autovacuum every three to five minutes (each takes about two, throttled), minutes 4-10 at
-- 494-613 claims/s instead of sliding to 385-422.
alter table public.tickets set (autovacuum_vacuum_scale_factor = 0.02);
