// Thunderbird: a frame the background page holds only while an identity is unlocked; its pings
// keep the event page (and with it the unlocked keys) from being suspended before the keyring's
// own idle lock. See KEEPALIVE in hosts/thunderbird.ts.
import { keepBackgroundAwake } from '../hosts/thunderbird';
import { messengerGlobal } from '../hosts/thunderbird-api';

keepBackgroundAwake(messengerGlobal());
