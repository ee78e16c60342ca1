import { OutboundPolicy, PLATFORM_FLAG, usePlatformOutbound } from '../../libs/outbound';

// Jest setup: the platforms' local test servers all listen on 127.0.0.1, which the
// production default refuses. Processes set the policy from PLATFORM_ALLOW_PRIVATE_NETWORKS
// when their runtime opens; the address-policy suites set a refusing one themselves.
usePlatformOutbound(new OutboundPolicy({ allowPrivateNetworks: true, flag: PLATFORM_FLAG }));
