// sensortrack open profile v1: reference firmware for the Arduino Nano 33 BLE / Nano 33 BLE Sense (rev 1,
// LSM9DS1 IMU). The packet format is specified in docs/protocols.md of the sensortrack repository; the
// Python decoder is drivers/protocols/open_profile.py. Libraries (Library Manager): ArduinoBLE, Arduino_LSM9DS1.
//
// What it does: advertises the Nordic UART Service as "sensortrack-XXXX", waits for START on RX, then samples
// the IMU on a micros() schedule at the requested rate and notifies packets of SAMPLES_PER_PACKET samples on
// TX, each packet cut into 20-byte chunks so it works at the default MTU of 23 (and at any larger one).
//
// Porting:
//  - Nano 33 BLE Rev2 / Sense Rev2 (BMI270 + BMM150): #include <Arduino_BMI270_BMM150.h> instead of
//    Arduino_LSM9DS1.h; the IMU API is the same. Set ACC_RANGE_G / GYRO_RANGE_DPS to what that library configures.
//  - ESP32 + NimBLE-Arduino: create the same service and characteristics with NimBLEDevice, call
//    tx->setValue(chunk, len); tx->notify(); per chunk, and run handleCommand() from an onWrite callback.
//    Everything from crc16CcittFalse() to sendPacket() is plain C++ and stays as it is.
//  - Any other IMU: change readImu() to return g and deg/s, and set the two ranges to the chip's full scale.
//  - A bigger CHUNK_BYTES (up to MTU - 3) sends fewer notifications, but only if the central negotiated that
//    MTU; ArduinoBLE truncates longer notifications silently, so 20 is the safe choice.
//
// Timing: the LSM9DS1 library runs the IMU at 119 Hz; sampling it at 10-100 Hz reads its newest output, so a
// sample can be up to 8.4 ms old. If the loop falls behind (e.g. a slow BLE stack), missed sampling slots
// still advance the sequence number, so the host reports them as lost instead of mis-timing later samples.

#include <ArduinoBLE.h>
#include <Arduino_LSM9DS1.h>

static const uint8_t VERSION = 1;
static const uint8_t FLAG_HAS_GYRO = 0x01;
static const uint8_t ACC_RANGE_G = 4;          // Arduino_LSM9DS1 sets the accelerometer to +/-4 g
static const uint16_t GYRO_RANGE_DPS = 2000;   // and the gyroscope to +/-2000 dps
static const uint8_t SAMPLES_PER_PACKET = 4;   // 66-byte packets: 40 ms of latency at 100 Hz
static const uint8_t HEADER_BYTES = 16;
static const uint8_t SAMPLE_BYTES = 12;        // 3 x int16 acc + 3 x int16 gyro
static const uint8_t CRC_BYTES = 2;
static const size_t MAX_PACKET_BYTES = HEADER_BYTES + SAMPLES_PER_PACKET * SAMPLE_BYTES + CRC_BYTES;
static const size_t CHUNK_BYTES = 20;          // ATT payload at the default MTU of 23
static const uint16_t RATES_HZ[] = {10, 25, 50, 100};

static const uint8_t CMD_START = 0x01;
static const uint8_t CMD_STOP = 0x02;
static const uint8_t CMD_SET_RATE = 0x03;

BLEService nus("6E400001-B5A3-F393-E0A9-E50E24DCCA9E");
BLECharacteristic rx("6E400002-B5A3-F393-E0A9-E50E24DCCA9E", BLEWrite | BLEWriteWithoutResponse, 20);
BLECharacteristic tx("6E400003-B5A3-F393-E0A9-E50E24DCCA9E", BLENotify, CHUNK_BYTES);

static char deviceName[20];  // ArduinoBLE keeps the pointer, so the name must outlive setup()
static bool streaming = false;
static uint16_t rateHz = 50;
static uint32_t periodUs = 20000;
static uint32_t nextSlotUs = 0;      // scheduled time of the next sample
static uint16_t sequence = 0;        // sampling-slot counter; wraps at 65536 as the spec says
static uint8_t packet[MAX_PACKET_BYTES];
static uint8_t samplesInPacket = 0;

// CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, not reflected, no final XOR ("123456789" -> 0x29B1).
uint16_t crc16CcittFalse(const uint8_t *data, size_t length) {
  uint16_t crc = 0xFFFF;
  for (size_t i = 0; i < length; i++) {
    crc ^= (uint16_t)data[i] << 8;
    for (uint8_t bit = 0; bit < 8; bit++) {
      crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
  }
  return crc;
}

void putU16(uint8_t *p, uint16_t v) {  // little-endian, whatever the CPU
  p[0] = v & 0xFF;
  p[1] = v >> 8;
}

void putU32(uint8_t *p, uint32_t v) {
  for (uint8_t i = 0; i < 4; i++) p[i] = (v >> (8 * i)) & 0xFF;
}

void putCounts(uint8_t *p, float value, float range) {
  float counts = value / range * 32768.0f;
  if (counts > 32767.0f) counts = 32767.0f;    // saturate like the sensor does at full scale
  if (counts < -32768.0f) counts = -32768.0f;
  putU16(p, (uint16_t)(int16_t)lroundf(counts));
}

uint16_t nearestRate(uint16_t asked) {
  uint16_t best = RATES_HZ[0];
  for (uint8_t i = 1; i < sizeof(RATES_HZ) / sizeof(RATES_HZ[0]); i++) {
    uint16_t r = RATES_HZ[i];
    if (abs((int)r - (int)asked) <= abs((int)best - (int)asked)) best = r;  // ties go to the higher rate
  }
  return best;
}

bool readImu(float &ax, float &ay, float &az, float &gx, float &gy, float &gz) {
  return IMU.readAcceleration(ax, ay, az) && IMU.readGyroscope(gx, gy, gz);  // g and deg/s
}

// Header fields, offsets as in docs/protocols.md.
void beginPacket(uint32_t firstSampleUs) {
  packet[0] = 'S';
  packet[1] = 'T';
  packet[2] = VERSION;
  packet[3] = FLAG_HAS_GYRO;
  putU16(packet + 4, sequence);
  putU32(packet + 6, firstSampleUs);
  putU16(packet + 10, rateHz);
  packet[12] = ACC_RANGE_G;
  putU16(packet + 13, GYRO_RANGE_DPS);
  samplesInPacket = 0;
}

void sendPacket() {
  if (samplesInPacket == 0) return;
  packet[15] = samplesInPacket;
  size_t length = HEADER_BYTES + samplesInPacket * SAMPLE_BYTES;
  putU16(packet + length, crc16CcittFalse(packet, length));
  length += CRC_BYTES;
  for (size_t offset = 0; offset < length; offset += CHUNK_BYTES) {
    size_t chunk = length - offset < CHUNK_BYTES ? length - offset : CHUNK_BYTES;
    tx.writeValue(packet + offset, chunk);  // a chunk the stack drops shows up as a CRC error, then a gap
  }
  samplesInPacket = 0;
}

void sampleIfDue() {
  uint32_t now = micros();
  if ((int32_t)(now - nextSlotUs) < 0) return;  // unsigned difference: survives the 71-minute wrap
  uint32_t missed = (now - nextSlotUs) / periodUs;
  if (missed > 0) {
    sendPacket();  // samples in a packet must be consecutive slots
    sequence += missed;
    nextSlotUs += missed * periodUs;
  }
  float ax, ay, az, gx, gy, gz;
  if (!readImu(ax, ay, az, gx, gy, gz)) {
    sendPacket();  // a failed read is a missed slot, like falling behind
    sequence++;
    nextSlotUs += periodUs;
    return;
  }
  if (samplesInPacket == 0) beginPacket(nextSlotUs);
  uint8_t *p = packet + HEADER_BYTES + samplesInPacket * SAMPLE_BYTES;
  putCounts(p + 0, ax, ACC_RANGE_G);
  putCounts(p + 2, ay, ACC_RANGE_G);
  putCounts(p + 4, az, ACC_RANGE_G);
  putCounts(p + 6, gx, GYRO_RANGE_DPS);
  putCounts(p + 8, gy, GYRO_RANGE_DPS);
  putCounts(p + 10, gz, GYRO_RANGE_DPS);
  samplesInPacket++;
  sequence++;
  nextSlotUs += periodUs;
  if (samplesInPacket == SAMPLES_PER_PACKET) sendPacket();
}

void setRate(uint16_t asked) {
  sendPacket();  // every sample of a packet was taken at the rate its header states
  rateHz = nearestRate(asked);
  periodUs = 1000000UL / rateHz;
}

void handleCommand() {
  if (!rx.written()) return;
  const uint8_t *data = rx.value();
  int length = rx.valueLength();
  if (length < 3 || data[0] != 'S' || data[1] != 'T') return;  // not for us: ignore
  switch (data[2]) {
    case CMD_START:
      samplesInPacket = 0;
      nextSlotUs = micros();
      streaming = true;
      break;
    case CMD_STOP:
      streaming = false;
      samplesInPacket = 0;  // a partial packet is dropped, as the spec says
      break;
    case CMD_SET_RATE:
      if (length >= 5) setRate(data[3] | (data[4] << 8));
      break;
  }
}

void fail() {
  pinMode(LED_BUILTIN, OUTPUT);
  while (true) {  // blink forever: no IMU or no radio
    digitalWrite(LED_BUILTIN, !digitalRead(LED_BUILTIN));
    delay(200);
  }
}

void setup() {
  if (!IMU.begin()) fail();
  if (!BLE.begin()) fail();
  String mac = BLE.address();  // "aa:bb:cc:dd:ee:ff": the last two bytes make the name unique enough
  snprintf(deviceName, sizeof(deviceName), "sensortrack-%c%c%c%c",
           toupper(mac[12]), toupper(mac[13]), toupper(mac[15]), toupper(mac[16]));
  BLE.setLocalName(deviceName);  // goes into the scan response; the host matches on this prefix
  BLE.setDeviceName(deviceName);
  BLE.setAdvertisedService(nus);
  nus.addCharacteristic(rx);
  nus.addCharacteristic(tx);
  BLE.addService(nus);
  setRate(rateHz);
  BLE.advertise();
}

void loop() {
  BLEDevice central = BLE.central();
  if (!central) return;
  while (central.connected()) {
    BLE.poll();
    handleCommand();
    if (streaming) sampleIfDue();
  }
  streaming = false;  // the next central starts from a clean state
  samplesInPacket = 0;
}
